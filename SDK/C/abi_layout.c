/* Compile-time checks of the ABI layout: a change that moves a field fails the build. */
#include "strategy_host_sdk.h"

_Static_assert(sizeof(tsh_build_fingerprint) == 16, "fingerprint is 16 pad-free bytes");
_Static_assert(sizeof(tsh_version) == 12, "version is three uint32");
_Static_assert(sizeof(tsh_event_header) == 40, "event header layout");
_Static_assert(offsetof(tsh_event_header, ts_event_ns) == 16, "event header layout");
_Static_assert(sizeof(tsh_quote_event) == 72, "quote event layout");
_Static_assert(offsetof(tsh_trade_event, aggressor) == 56, "trade event 1.0 layout");
_Static_assert(sizeof(tsh_str) == 16, "string slice layout");
_Static_assert(sizeof(tsh_error) == 16 + TSH_ERROR_MESSAGE_CAPACITY, "error layout");
_Static_assert(offsetof(tsh_manifest, fingerprint) == 16, "manifest layout");

/* The frozen 1.0 sizes (strategy_host_sdk.h) are today's sizeof: a field appended in a later
 * minor version changes sizeof, never these. When one is appended, replace the matching
 * equality below with `sizeof(T) > TSH_T_SIZE_V1_0` and pin the new field's offset. */
#define TSH_PIN_V1_0(type, size) _Static_assert(sizeof(type) == (size), #type " 1.0 size")
TSH_PIN_V1_0(tsh_manifest, TSH_MANIFEST_SIZE_V1_0);
TSH_PIN_V1_0(tsh_kind_descriptor, TSH_KIND_DESCRIPTOR_SIZE_V1_0);
TSH_PIN_V1_0(tsh_param_descriptor, TSH_PARAM_DESCRIPTOR_SIZE_V1_0);
TSH_PIN_V1_0(tsh_plugin_vtable, TSH_PLUGIN_VTABLE_SIZE_V1_0);
TSH_PIN_V1_0(tsh_signal_source_ext, TSH_SIGNAL_SOURCE_EXT_SIZE_V1_0);
TSH_PIN_V1_0(tsh_order_request, TSH_ORDER_REQUEST_SIZE_V1_0);
TSH_PIN_V1_0(tsh_error, TSH_ERROR_SIZE_V1_0);
TSH_PIN_V1_0(tsh_instrument, TSH_INSTRUMENT_SIZE_V1_0);
TSH_PIN_V1_0(tsh_position, TSH_POSITION_SIZE_V1_0);
TSH_PIN_V1_0(tsh_balance, TSH_BALANCE_SIZE_V1_0);
TSH_PIN_V1_0(tsh_host, TSH_HOST_SIZE_V1_0);
TSH_PIN_V1_0(tsh_instance_info, TSH_INSTANCE_INFO_SIZE_V1_0);
TSH_PIN_V1_0(tsh_metrics_service, TSH_METRICS_SERVICE_SIZE_V1_0);
TSH_PIN_V1_0(tsh_event_header, TSH_EVENT_HEADER_SIZE_V1_0);
TSH_PIN_V1_0(tsh_quote_event, TSH_QUOTE_EVENT_SIZE_V1_0);
TSH_PIN_V1_0(tsh_timer_event, TSH_TIMER_EVENT_SIZE_V1_0);
TSH_PIN_V1_0(tsh_oracle_event, TSH_ORACLE_EVENT_SIZE_V1_0);
TSH_PIN_V1_0(tsh_order_event, TSH_ORDER_EVENT_SIZE_V1_0);
_Static_assert(sizeof(tsh_signal_sink_ext) == 16, "tsh_signal_sink_ext 1.1 layout");
_Static_assert(sizeof(tsh_trade_event) == TSH_TRADE_EVENT_SIZE_V1_0 + 8, "tsh_trade_event 1.1 size");
_Static_assert(offsetof(tsh_trade_event, trade_id) == TSH_TRADE_EVENT_SIZE_V1_0, "trade_id starts where 1.0 ended");
/* 1.1: tsh_bar_event grew (quote/buy/sell volume, vwap, trades, fields). */
_Static_assert(sizeof(tsh_bar_event) > TSH_BAR_EVENT_SIZE_V1_0, "tsh_bar_event grew in 1.1");
_Static_assert(offsetof(tsh_bar_event, quote_volume) == TSH_BAR_EVENT_SIZE_V1_0, "1.1 bar fields start where 1.0 ended");
_Static_assert(offsetof(tsh_bar_event, fields) == TSH_BAR_EVENT_SIZE_V1_0 + 40, "tsh_bar_event 1.1 layout");
_Static_assert(sizeof(tsh_bar_event) == TSH_BAR_EVENT_SIZE_V1_0 + 48, "tsh_bar_event 1.1 size");
_Static_assert(!TSH_HAS_FIELD(tsh_bar_event, fields, TSH_BAR_EVENT_SIZE_V1_0), "a 1.0 bar carries no 1.1 field");
/* 1.1: signals carry named numeric fields. */
_Static_assert(offsetof(tsh_signal, fields) == TSH_SIGNAL_SIZE_V1_0, "tsh_signal 1.1 fields start where 1.0 ended");
_Static_assert(sizeof(tsh_signal) == TSH_SIGNAL_SIZE_V1_0 + 16, "tsh_signal 1.1 size");
_Static_assert(offsetof(tsh_signal_event, fields) == TSH_SIGNAL_EVENT_SIZE_V1_0, "tsh_signal_event 1.1 fields start where 1.0 ended");
_Static_assert(sizeof(tsh_signal_event) == TSH_SIGNAL_EVENT_SIZE_V1_0 + 16, "tsh_signal_event 1.1 size");
_Static_assert(sizeof(tsh_signal_field) == 24, "tsh_signal_field layout");
/* 1.1: records. Fixed-layout value; growable descriptors. */
_Static_assert(sizeof(tsh_value) == 40, "tsh_value layout");
_Static_assert(offsetof(tsh_value, text_value) == 24, "tsh_value layout");
_Static_assert(sizeof(tsh_column_descriptor) == 32, "tsh_column_descriptor 1.1 layout");
_Static_assert(sizeof(tsh_table_descriptor) == 32, "tsh_table_descriptor 1.1 layout");
_Static_assert(sizeof(tsh_records_ext) == 16, "tsh_records_ext 1.1 layout");
_Static_assert(sizeof(tsh_records_service) == 16, "tsh_records_service 1.1 layout");
_Static_assert(sizeof(tsh_bars_service) == 16, "tsh_bars_service 1.1 layout");
_Static_assert(offsetof(tsh_book_event, venue_seq) == TSH_BOOK_EVENT_SIZE_V1_0, "tsh_book_event 1.1 venue_seq starts where 1.0 ended");
_Static_assert(sizeof(tsh_book_event) == TSH_BOOK_EVENT_SIZE_V1_0 + 8, "tsh_book_event 1.1 size");
_Static_assert(TSH_HAS_FIELD(tsh_signal, confidence, TSH_SIGNAL_SIZE_V1_0), "last 1.0 field is carried");
_Static_assert(!TSH_HAS_FIELD(tsh_signal, confidence, TSH_SIGNAL_SIZE_V1_0 - 1), "a cut field is not carried");
/* 1.2: the book service. */
_Static_assert(sizeof(tsh_book_service) == 24, "tsh_book_service 1.2 layout");
_Static_assert(offsetof(tsh_book_service, levels_before) == 16, "tsh_book_service 1.2 layout");
