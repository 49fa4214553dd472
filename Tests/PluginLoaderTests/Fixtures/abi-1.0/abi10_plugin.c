/*
 * A plugin built against the frozen ABI 1.0 header next to this file (compiled at test time,
 * with -I pointing here). Keep it forever: a host that can no longer load and run it has broken
 * the header's append-only promise.
 *
 * Kinds: "signaler" emits "abi10.quote" on every quote; "trader" reads its parameter, submits
 * one market order on its first quote and asks for its position.
 *
 * Knobs (-D), for the size tests:
 *   FX_FUTURE_BYTES=n   every struct this plugin hands to the host is n bytes larger than the
 *                       1.0 layout (as if built by a later SDK), the extra bytes set to 0xFF —
 *                       except a signal's first 16 (ABI 1.1's fields/field_count), zero as a
 *                       later plugin that attaches no named fields leaves them.
 *   FX_MANIFEST_SIZE=n  declare manifest.struct_size as n.
 *   FX_SIGNAL_SIZE=n    declare tsh_signal.struct_size as n.
 *   FX_ORDER_SIZE=n     declare tsh_order_request.struct_size as n.
 *   FX_POSITION_SIZE=n  declare the tsh_position out-struct's struct_size as n.
 * Results are read back through the exported fx_* functions.
 */
#include "strategy_host_sdk.h"
#include <string.h>

#ifndef FX_FUTURE_BYTES
#define FX_FUTURE_BYTES 0
#endif

#if FX_FUTURE_BYTES > 0
#define FX_WRAP(type, name) typedef struct { type v; unsigned char future[FX_FUTURE_BYTES]; } name
#define FX_FUTURE_INIT , {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
#else
#define FX_WRAP(type, name) typedef struct { type v; } name
#define FX_FUTURE_INIT
#endif

FX_WRAP(tsh_manifest, fx_manifest_t);
FX_WRAP(tsh_kind_descriptor, fx_kind_t);
FX_WRAP(tsh_param_descriptor, fx_param_t);
FX_WRAP(tsh_plugin_vtable, fx_vtable_t);
FX_WRAP(tsh_signal_source_ext, fx_signal_source_t);
FX_WRAP(tsh_signal, fx_signal_t);
FX_WRAP(tsh_order_request, fx_order_t);

#ifndef FX_MANIFEST_SIZE
#define FX_MANIFEST_SIZE sizeof(fx_manifest_t)
#endif
#ifndef FX_SIGNAL_SIZE
#define FX_SIGNAL_SIZE sizeof(fx_signal_t)
#endif
#ifndef FX_ORDER_SIZE
#define FX_ORDER_SIZE sizeof(fx_order_t)
#endif
#ifndef FX_POSITION_SIZE
#define FX_POSITION_SIZE sizeof(tsh_position)
#endif

/* What happened, for the test. */
static tsh_status fx_signal_status = -1;
static char fx_signal_message[TSH_ERROR_MESSAGE_CAPACITY];
static tsh_status fx_order_status = -1;
static int32_t fx_order_code = 0;
static char fx_order_message[TSH_ERROR_MESSAGE_CAPACITY];
static tsh_status fx_position_status = -1;
static uint32_t fx_position_written = 0;
static int fx_position_canary_intact = 0;
static int fx_order_updates = 0;
static double fx_order_size_param = 0;

TSH_EXPORT int32_t fx_last_signal_status(void) { return fx_signal_status; }
TSH_EXPORT const char *fx_last_signal_message(void) { return fx_signal_message; }
TSH_EXPORT int32_t fx_last_order_status(void) { return fx_order_status; }
TSH_EXPORT int32_t fx_last_order_code(void) { return fx_order_code; }
TSH_EXPORT const char *fx_last_order_message(void) { return fx_order_message; }
TSH_EXPORT int32_t fx_last_position_status(void) { return fx_position_status; }
TSH_EXPORT uint32_t fx_last_position_written(void) { return fx_position_written; }
TSH_EXPORT int32_t fx_position_canary(void) { return fx_position_canary_intact; }
TSH_EXPORT int32_t fx_order_update_count(void) { return fx_order_updates; }
TSH_EXPORT double fx_order_size(void) { return fx_order_size_param; }

typedef struct fx_instance {
    const tsh_host *host;
    int is_trader;
    int traded;
} fx_instance;

static fx_instance fx_instances[8];
static int fx_instance_count = 0;

static tsh_str fx_str(const char *text) {
    tsh_str s = {text, strlen(text)};
    return s;
}

static void fx_copy_message(char *out, const tsh_error *err) {
    size_t n = err->message_len < TSH_ERROR_MESSAGE_CAPACITY - 1 ? err->message_len : TSH_ERROR_MESSAGE_CAPACITY - 1;
    memcpy(out, err->message, n);
    out[n] = 0;
}

static tsh_status fx_create(const tsh_kind_descriptor *kind, const tsh_host *host, const tsh_instance_info *info,
                            void **out_instance, tsh_error *err) {
    (void)info; (void)err;
    if (fx_instance_count >= 8) return TSH_ERR_INTERNAL;
    fx_instance *instance = &fx_instances[fx_instance_count++];
    instance->host = host;
    instance->is_trader = strcmp(kind->kind_id, "trader") == 0;
    instance->traded = 0;
    if (instance->is_trader) {
        tsh_status status = host->param_double(host, TSH_NO_SYMBOL, fx_str("order_size"), &fx_order_size_param);
        if (status != TSH_OK) return status;
    }
    *out_instance = instance;
    return TSH_OK;
}

static tsh_status fx_start(void *instance, tsh_error *err) { (void)instance; (void)err; return TSH_OK; }
static tsh_status fx_stop(void *instance, tsh_error *err) { (void)instance; (void)err; return TSH_OK; }
static void fx_destroy(void *instance) { (void)instance; }

static void fx_emit(fx_instance *self, const tsh_quote_event *quote) {
    fx_signal_t signal;
    tsh_error err;
    memset(&signal, 0xFF, sizeof signal); /* the future bytes, if any, hold garbage */
#if FX_FUTURE_BYTES > 0
    memset(signal.future, 0, FX_FUTURE_BYTES < 16 ? FX_FUTURE_BYTES : 16); /* 1.1: no named fields */
#endif
    memset(&err, 0, sizeof err);
    err.struct_size = sizeof err;
    signal.v.struct_size = (uint32_t)(FX_SIGNAL_SIZE);
    signal.v.symbol_id = quote->header.symbol_id;
    signal.v.name = fx_str("abi10.quote");
    signal.v.payload = fx_str("built against 1.0");
    signal.v.direction = 1;
    signal.v.reserved = 0;
    signal.v.value = quote->bid_price;
    signal.v.confidence = 0.5;
    fx_signal_status = self->host->emit_signal(self->host, &signal.v, &err);
    fx_copy_message(fx_signal_message, &err);
}

static void fx_trade(fx_instance *self, const tsh_quote_event *quote) {
    fx_order_t order;
    tsh_error err;
    uint64_t id = 0;
    memset(&order, 0xFF, sizeof order);
    memset(&err, 0, sizeof err);
    err.struct_size = sizeof err;
    order.v.struct_size = (uint32_t)(FX_ORDER_SIZE);
    order.v.symbol_id = quote->header.symbol_id;
    order.v.side = TSH_SIDE_BUY;
    order.v.type = TSH_ORDER_MARKET;
    order.v.time_in_force = TSH_TIF_FAK;
    order.v.flags = 0;
    order.v.price = 0;
    order.v.size = fx_order_size_param;
    order.v.expire_at_ns = 0;
    order.v.tag = fx_str("abi10");
    fx_order_status = self->host->submit_order(self->host, &order.v, &id, &err);
    fx_order_code = err.code;
    fx_copy_message(fx_order_message, &err);

    struct { tsh_position position; uint64_t canary; } out;
    memset(&out, 0, sizeof out);
    out.position.struct_size = (uint32_t)(FX_POSITION_SIZE);
    out.canary = 0x5AFE5AFE5AFE5AFEull;
    fx_position_status = self->host->position(self->host, quote->header.symbol_id, &out.position);
    fx_position_written = out.position.struct_size;
    fx_position_canary_intact = out.canary == 0x5AFE5AFE5AFE5AFEull;
}

static tsh_status fx_on_event(void *instance, const tsh_event_header *event, tsh_error *err) {
    (void)err;
    fx_instance *self = (fx_instance *)instance;
    if (event->type == TSH_EVENT_ORDER) {
        fx_order_updates += 1;
        return TSH_OK;
    }
    if (event->type != TSH_EVENT_QUOTE || event->size < sizeof(tsh_quote_event)) return TSH_OK;
    const tsh_quote_event *quote = (const tsh_quote_event *)event;
    if (!self->is_trader) {
        fx_emit(self, quote);
    } else if (!self->traded) {
        self->traded = 1;
        fx_trade(self, quote);
    }
    return TSH_OK;
}

static const fx_vtable_t fx_vtable = {
    {sizeof(fx_vtable_t), 0, fx_create, fx_start, fx_on_event, fx_stop, fx_destroy} FX_FUTURE_INIT};

static const fx_param_t fx_params[] = {
    {{sizeof(fx_param_t), TSH_PARAM_DOUBLE, "order_size", "Size of the one order", "0.5", TSH_PARAM_HAS_MIN, 0,
      0.0, 0.0, NULL, "units"} FX_FUTURE_INIT},
    {{sizeof(fx_param_t), TSH_PARAM_INT, "unused_count", "A second parameter, to step over the array", "3", 0, 0,
      0.0, 0.0, NULL, NULL} FX_FUTURE_INIT},
};

static const char *const fx_signaler_roles[] = {TSH_ROLE_TRIGGER};
static const char *const fx_trader_roles[] = {TSH_ROLE_STRATEGY};
static const char *const fx_signal_names[] = {"abi10.quote"};
static const fx_signal_source_t fx_signal_source = {{sizeof(fx_signal_source_t), 1, fx_signal_names} FX_FUTURE_INIT};

static const void *fx_get_extension(const tsh_kind_descriptor *kind, const char *extension_id) {
    (void)kind;
    return strcmp(extension_id, TSH_EXT_SIGNAL_SOURCE) == 0 ? &fx_signal_source.v : NULL;
}

static const fx_kind_t fx_signaler = {
    {sizeof(fx_kind_t), TSH_EVENT_MASK(TSH_EVENT_QUOTE), "signaler", "Emits a signal on every quote",
     fx_signaler_roles, 1, 0, NULL, &fx_vtable.v, fx_get_extension, NULL} FX_FUTURE_INIT};
static const fx_kind_t fx_trader = {
    {sizeof(fx_kind_t), TSH_EVENT_MASK(TSH_EVENT_QUOTE) | TSH_EVENT_MASK(TSH_EVENT_ORDER), "trader",
     "Submits one market order", fx_trader_roles, 1, 2, &fx_params[0].v, &fx_vtable.v, NULL, NULL} FX_FUTURE_INIT};
static const tsh_kind_descriptor *const fx_kinds[] = {&fx_signaler.v, &fx_trader.v};

static const fx_manifest_t fx_manifest = {
    {TSH_VERSION_INIT, (uint32_t)(FX_MANIFEST_SIZE), TSH_BUILD_FINGERPRINT_INIT, "dev.test.abi10", "ABI 1.0 fixture",
     "1.0.0", "Built against the frozen 1.0 header", fx_kinds, 2, 0} FX_FUTURE_INIT};

TSH_EXPORT const tsh_manifest *tsh_plugin_entry(void) { return &fx_manifest.v; }
