/*
 * strategy_host_sdk.h — the strategy host plugin ABI, version 1.
 *
 * This header is the whole contract between the host and a plugin (.so). A plugin
 * may be written in C, C++, Rust or Swift; it only has to export one symbol,
 * `tsh_plugin_entry`, returning a constant manifest.
 *
 * Conventions (read these once; every declaration below follows them):
 *
 *  - Versioning. TSH_ABI_MAJOR must match exactly; the plugin's minor must be <= the
 *    host's. Within a major version structs are append-only: fields are never
 *    reordered or removed, new fields are added at the end, and every struct that may
 *    grow starts with `uint32_t struct_size` (or, for root structs, a tsh_version then
 *    struct_size). A reader never touches a field beyond the size it was given:
 *    it refuses a struct smaller than that struct's 1.0 size (TSH_*_SIZE_V1_0 below),
 *    reads a field added after 1.0 only when TSH_HAS_FIELD says the struct carries it,
 *    and ignores bytes beyond the layout it knows (they come from a newer writer).
 *    Events carry their size in header.size and are read the same way. Out-structs a
 *    plugin passes to a service (tsh_instrument, tsh_position, tsh_balance): the caller
 *    sets struct_size to its sizeof; the host writes at most that many bytes and sets
 *    struct_size to the number it wrote, so the caller knows which fields were filled.
 *  - Build fingerprint. A pad-free 16-byte block (pointer width, endianness, timestamp
 *    unit, float format, bool and enum widths) compared byte for byte by the host.
 *  - Thread tags on every function pointer:
 *      [engine-thread]  called only on the host's engine thread, never concurrently;
 *      [thread-safe]    may be called from any thread at any time;
 *      [any-thread]     called by the host from one thread at a time, not necessarily
 *                       the engine thread (only used before an instance exists).
 *  - Ownership. Whoever allocates frees. Pointers handed to a callback are valid for
 *    the duration of that callback only; copy what you keep. Pointers returned by the
 *    host (instrument names, instance info) stay valid until the instance is destroyed.
 *    Output buffers are caller-allocated with an explicit capacity.
 *  - Strings are UTF-8. Runtime strings cross as tsh_str (pointer + byte length, not
 *    NUL-terminated); the manifest's static strings are NUL-terminated.
 *  - Numbers. Prices and sizes cross as IEEE-754 double for convenience; the
 *    instrument's tick size, lot size, minimum size and minimum notional come with
 *    them. The host converts orders to exact decimals at the execution boundary and
 *    does all accounting in exact decimals. Timestamps are int64 nanoseconds since the
 *    Unix epoch (UTC).
 *  - Errors. No exception, panic, Swift error or allocator crosses the boundary.
 *    Fallible calls return tsh_status and may fill a caller-owned tsh_error.
 *  - Enums are fixed-width integer typedefs with #defined values, never C enum types.
 */
#ifndef STRATEGY_HOST_SDK_H
#define STRATEGY_HOST_SDK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if !defined(__clang__) && !defined(_Nonnull)
#define _Nonnull
#define _Nullable
#endif

#if defined(_WIN32)
#define TSH_EXPORT __declspec(dllexport)
#else
#define TSH_EXPORT __attribute__((visibility("default")))
#endif

/* ------------------------------------------------------------------------------ */
/* Versions                                                                        */
/* ------------------------------------------------------------------------------ */

/* History: 1.0 — the first stable ABI. 1.1 — bar events carry quote, buy and sell volume,
 * VWAP and the trade count (tsh_bar_event.fields says which); kinds may declare the signals
 * they consume (TSH_EXT_SIGNAL_SINK); trade events carry the venue's trade id. A 1.0 plugin loads on a 1.1
 * host unchanged; a 1.1 plugin on a 1.0 host is refused at load. 1.2 — the TSH_SERVICE_BOOK
 * service (one level's size, and the book as it was before the L2 message being delivered),
 * so a plugin reads the host's book instead of mirroring it. Nothing else changed: 1.0 and 1.1
 * plugins load on a 1.2 host and get the same events; a 1.2 plugin on an older host is
 * refused at load (get_service returns NULL for the service there anyway). */
#define TSH_ABI_MAJOR 1
#define TSH_ABI_MINOR 2
#define TSH_ABI_REVISION 0

/** The one symbol every plugin exports. */
#define TSH_PLUGIN_ENTRY_SYMBOL "tsh_plugin_entry"

typedef struct tsh_version {
    uint32_t major;
    uint32_t minor;
    uint32_t revision;
} tsh_version;

#define TSH_VERSION_INIT {TSH_ABI_MAJOR, TSH_ABI_MINOR, TSH_ABI_REVISION}

/** True when a plugin built against `plugin` can be loaded by a host that speaks `host`. */
static inline bool tsh_version_is_compatible(tsh_version plugin, tsh_version host) {
    return plugin.major == host.major && plugin.minor <= host.minor;
}

/* ------------------------------------------------------------------------------ */
/* Build fingerprint: 16 bytes, no padding, compared exactly                       */
/* ------------------------------------------------------------------------------ */

#define TSH_ENDIAN_LITTLE 1
#define TSH_ENDIAN_BIG 2
#define TSH_TIMESTAMP_UNIX_NANOS 9
#define TSH_FLOAT_IEEE754_BINARY64 1

#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define TSH_NATIVE_ENDIAN TSH_ENDIAN_BIG
#else
#define TSH_NATIVE_ENDIAN TSH_ENDIAN_LITTLE
#endif

typedef struct tsh_build_fingerprint {
    uint8_t magic[4];        /* 'T','S','H','F' */
    uint8_t pointer_bytes;   /* sizeof(void *) */
    uint8_t endianness;      /* TSH_ENDIAN_* */
    uint8_t timestamp_unit;  /* TSH_TIMESTAMP_UNIX_NANOS: int64 ns since the Unix epoch */
    uint8_t float_format;    /* TSH_FLOAT_IEEE754_BINARY64: prices and sizes are double */
    uint8_t bool_bytes;      /* sizeof(bool) */
    uint8_t status_bytes;    /* sizeof(tsh_status) */
    uint8_t size_bytes;      /* sizeof(size_t) */
    uint8_t reserved[5];     /* zero */
} tsh_build_fingerprint;

#define TSH_BUILD_FINGERPRINT_INIT                                                     \
    {{'T', 'S', 'H', 'F'}, (uint8_t)sizeof(void *), TSH_NATIVE_ENDIAN,                 \
     TSH_TIMESTAMP_UNIX_NANOS, TSH_FLOAT_IEEE754_BINARY64, (uint8_t)sizeof(bool),      \
     (uint8_t)sizeof(int32_t), (uint8_t)sizeof(size_t), {0, 0, 0, 0, 0}}

/* ------------------------------------------------------------------------------ */
/* Status codes, strings, errors                                                   */
/* ------------------------------------------------------------------------------ */

typedef int32_t tsh_status;
#define TSH_OK 0
#define TSH_ERR_INVALID_ARGUMENT 1 /* a parameter is malformed (NaN, negative, unknown id) */
#define TSH_ERR_NOT_FOUND 2        /* key, order, symbol or parameter does not exist */
#define TSH_ERR_BUFFER_TOO_SMALL 3 /* out buffer too small; *out_len says what is needed */
#define TSH_ERR_DENIED 4           /* refused by host risk; tsh_error.code holds a tsh_deny_reason */
#define TSH_ERR_UNSUPPORTED 5      /* not available in this host, mode or venue */
#define TSH_ERR_WRONG_THREAD 6     /* an [engine-thread] service called from another thread */
#define TSH_ERR_PLUGIN 7           /* the plugin failed; message in tsh_error */
#define TSH_ERR_INTERNAL 8         /* the host failed; message in tsh_error */

/** A UTF-8 string slice; not NUL-terminated. `ptr` may be NULL only when `len` is 0. */
typedef struct tsh_str {
    const char *_Nullable ptr;
    uint64_t len;
} tsh_str;

#define TSH_ERROR_MESSAGE_CAPACITY 480

/** Caller-owned error report. The callee writes at most TSH_ERROR_MESSAGE_CAPACITY bytes. */
typedef struct tsh_error {
    uint32_t struct_size;
    int32_t code;         /* a tsh_status, or for TSH_ERR_DENIED a tsh_deny_reason */
    uint32_t message_len; /* bytes used in message, excluding the NUL */
    uint32_t reserved;
    char message[TSH_ERROR_MESSAGE_CAPACITY]; /* UTF-8, NUL-terminated */
} tsh_error;

/* ------------------------------------------------------------------------------ */
/* Trading enums                                                                   */
/* ------------------------------------------------------------------------------ */

typedef int32_t tsh_side;
#define TSH_SIDE_BUY 1
#define TSH_SIDE_SELL -1

typedef int32_t tsh_order_type;
#define TSH_ORDER_MARKET 1
#define TSH_ORDER_LIMIT 2

typedef int32_t tsh_time_in_force;
#define TSH_TIF_GTC 1 /* good till canceled */
#define TSH_TIF_GTD 2 /* good till expire_at_ns */
#define TSH_TIF_FOK 3 /* fill completely at once or cancel */
#define TSH_TIF_FAK 4 /* fill what is possible at once, cancel the rest (IOC) */
#define TSH_TIF_IOC TSH_TIF_FAK

typedef uint32_t tsh_order_flags;
#define TSH_ORDER_FLAG_POST_ONLY 1u
#define TSH_ORDER_FLAG_REDUCE_ONLY 2u

typedef int32_t tsh_mode;
#define TSH_MODE_PAPER 1
#define TSH_MODE_LIVE 2

typedef int32_t tsh_order_status;
#define TSH_ORDER_SUBMITTED 1
#define TSH_ORDER_ACCEPTED 2
#define TSH_ORDER_PARTIALLY_FILLED 3
#define TSH_ORDER_FILLED 4
#define TSH_ORDER_CANCELED 5
#define TSH_ORDER_REJECTED 6 /* refused by the venue */
#define TSH_ORDER_EXPIRED 7
#define TSH_ORDER_DENIED 8   /* refused by host risk before it left; see tsh_deny_reason */

/** Why host risk refused an order. Stable numbers: they are persisted and logged. */
typedef int32_t tsh_deny_reason;
#define TSH_DENY_NONE 0
#define TSH_DENY_INVALID_PRICE 1      /* NaN, infinite, zero or negative price */
#define TSH_DENY_INVALID_SIZE 2       /* NaN, infinite, zero or negative size */
#define TSH_DENY_PRICE_NOT_ON_TICK 3
#define TSH_DENY_SIZE_NOT_ON_LOT 4
#define TSH_DENY_BELOW_MIN_SIZE 5
#define TSH_DENY_BELOW_MIN_NOTIONAL 6
#define TSH_DENY_MAX_ORDER_NOTIONAL 7
#define TSH_DENY_MAX_POSITION 8
#define TSH_DENY_MAX_OPEN_ORDERS 9
#define TSH_DENY_RATE_LIMIT 10
#define TSH_DENY_PRICE_BAND 11
#define TSH_DENY_MAX_TRADES_PER_DAY 12
#define TSH_DENY_DAILY_LOSS_LIMIT 13
#define TSH_DENY_TRADING_HALTED 14
#define TSH_DENY_REDUCING_ONLY 15
#define TSH_DENY_KILL_SWITCH 16
#define TSH_DENY_UNKNOWN_SYMBOL 17    /* the symbol is not one of the instance's symbols */
#define TSH_DENY_INVALID_ORDER 18     /* bad side, type, time in force or flags */
#define TSH_DENY_NO_MARKET_DATA 19    /* no book to price a market order against */

typedef int32_t tsh_log_level;
#define TSH_LOG_TRACE 0
#define TSH_LOG_DEBUG 1
#define TSH_LOG_INFO 2
#define TSH_LOG_NOTICE 3
#define TSH_LOG_WARNING 4
#define TSH_LOG_ERROR 5
#define TSH_LOG_CRITICAL 6

/** Symbol ids are host-assigned, dense, stable for the life of the process. */
typedef uint32_t tsh_symbol_id;
#define TSH_NO_SYMBOL UINT32_MAX

/* ------------------------------------------------------------------------------ */
/* Events (host -> plugin). Each starts with tsh_event_header.                     */
/* ------------------------------------------------------------------------------ */

typedef uint16_t tsh_event_type;
#define TSH_EVENT_QUOTE 1
#define TSH_EVENT_TRADE 2
#define TSH_EVENT_BOOK 3
#define TSH_EVENT_BAR 4
#define TSH_EVENT_TIMER 5
#define TSH_EVENT_SIGNAL 6
#define TSH_EVENT_ORACLE 7
#define TSH_EVENT_ORDER 8

/** Bit (1u << type) for each event type a kind wants; see tsh_kind_descriptor.event_mask. */
#define TSH_EVENT_MASK(type) (1u << (type))
#define TSH_EVENT_MASK_ALL 0xFFFFFFFEu

typedef uint16_t tsh_event_flags;
#define TSH_EVENT_FLAG_REPLAY 1u /* delivered from a recording or a backtest */
#define TSH_EVENT_FLAG_STALE 2u  /* the feed for this symbol is stale or resyncing */
#define TSH_EVENT_FLAG_HISTORY 4u /* a past bar loaded before a live start to warm indicators up (ABI 1.0 hosts never set it) */

typedef struct tsh_event_header {
    uint32_t size;            /* sizeof the whole event struct as the host built it */
    tsh_event_type type;      /* TSH_EVENT_* */
    tsh_event_flags flags;    /* TSH_EVENT_FLAG_* */
    tsh_symbol_id symbol_id;  /* TSH_NO_SYMBOL for events not tied to a symbol */
    uint32_t reserved;        /* zero */
    int64_t ts_event_ns;      /* when it happened at the venue */
    int64_t ts_recv_ns;       /* when the host received it; the engine clock follows it */
    uint64_t seq;             /* engine sequence number, strictly increasing */
} tsh_event_header;

typedef struct tsh_quote_event {
    tsh_event_header header;
    double bid_price;
    double bid_size;
    double ask_price;
    double ask_size;
} tsh_quote_event;

typedef struct tsh_trade_event {
    tsh_event_header header;
    double price;
    double size;
    tsh_side aggressor; /* side of the taker, 0 when unknown */
    uint32_t reserved;
    /* ---- 1.1: read only when TSH_HAS_FIELD(tsh_trade_event, trade_id, header.size). */
    uint64_t trade_id;  /* the venue's trade id (decimal ids as their value, others hashed), 0 when unknown */
} tsh_trade_event;

typedef struct tsh_book_change {
    double price;
    double size;   /* 0 removes the level */
    tsh_side side; /* TSH_SIDE_BUY = bid, TSH_SIDE_SELL = ask */
    uint32_t reserved;
} tsh_book_change;

/** Sent after the host applied the changes to its own L2 book; read more levels with
 *  tsh_host.book_levels. */
typedef struct tsh_book_event {
    tsh_event_header header;
    const tsh_book_change *_Nullable changes; /* valid during the callback */
    uint32_t change_count;
    uint32_t is_snapshot; /* 1: the changes replaced the book */
    double best_bid_price; /* NaN when that side is empty */
    double best_bid_size;
    double best_ask_price;
    double best_ask_size;
    /* ---- 1.1: read only when TSH_HAS_FIELD(tsh_book_event, venue_seq, header.size). */
    uint64_t venue_seq; /* the venue's sequence number of this message (Binance u, Bybit u), 0 when the source has none */
} tsh_book_event;

typedef struct tsh_bar_event {
    tsh_event_header header; /* ts_event_ns is the bar's close time */
    int64_t open_time_ns;
    int64_t interval_ns;
    double open;
    double high;
    double low;
    double close;
    double volume;
    /* ---- 1.1: read only when TSH_HAS_FIELD(tsh_bar_event, fields, header.size) and the
     *      field's TSH_BAR_HAS_* bit is set in `fields` (bars the host aggregates from trades
     *      carry them all; history bars from a venue's REST API carry what the venue says). */
    double quote_volume;     /* sum of price * amount */
    double buy_volume;       /* sum of amount of buyer-initiated trades */
    double sell_volume;      /* sum of amount of seller-initiated trades */
    double vwap;             /* quote_volume / volume; the previous close for an empty bar */
    uint64_t trades;         /* number of trades (0: an empty bar) */
    uint32_t fields;         /* TSH_BAR_HAS_* bits */
    uint32_t reserved_1_1;
} tsh_bar_event;

/** Bits of tsh_bar_event.fields (ABI 1.1). */
#define TSH_BAR_HAS_QUOTE_VOLUME 1u
#define TSH_BAR_HAS_BUY_SELL_VOLUME 2u
#define TSH_BAR_HAS_VWAP 4u
#define TSH_BAR_HAS_TRADES 8u

typedef struct tsh_timer_event {
    tsh_event_header header;
    uint64_t timer_id;
    uint64_t user_tag;
    int64_t scheduled_ns; /* when it was due; header.ts_recv_ns is when it fired */
} tsh_timer_event;

/** A named number a signal carries beside its JSON payload (ABI 1.1), e.g. {"score", 0.42}:
 *  consumers read it without parsing JSON; the host stores it with the signal. Fixed layout. */
typedef struct tsh_signal_field {
    tsh_str name;  /* 1 to 64 bytes, unique within the signal */
    double value;  /* finite */
} tsh_signal_field;

typedef struct tsh_signal_event {
    tsh_event_header header;
    tsh_str name;             /* e.g. "trigger.price_move" */
    tsh_str source_instance;  /* id of the emitting plugin instance */
    tsh_str source_plugin;    /* plugin id (reverse-DNS) of the emitter */
    tsh_str payload;          /* optional, free-form (JSON by convention) */
    int32_t direction;        /* +1 long/up, -1 short/down, 0 none */
    uint32_t reserved;
    double value;
    double confidence;        /* 0...1 by convention */
    /* ---- 1.1: read only when TSH_HAS_FIELD(tsh_signal_event, field_count, header.size). */
    const tsh_signal_field *_Nullable fields; /* named numbers; valid during the callback */
    uint32_t field_count;
    uint32_t reserved_1_1;
} tsh_signal_event;

typedef struct tsh_oracle_event {
    tsh_event_header header;
    tsh_str source; /* e.g. "chainlink", "binance", "twap" */
    double price;
} tsh_oracle_event;

typedef struct tsh_order_event {
    tsh_event_header header;
    uint64_t client_order_id;
    tsh_order_status status;
    tsh_deny_reason deny_reason; /* for TSH_ORDER_DENIED */
    tsh_side side;
    uint32_t reserved;
    double last_fill_price;  /* this update's fill, 0 when none */
    double last_fill_size;
    double filled_size;      /* cumulative */
    double remaining_size;
    double average_fill_price;
    double fee;              /* cumulative, in the quote asset */
    tsh_str reason;          /* human-readable for denials and rejections */
    tsh_str venue_order_id;
} tsh_order_event;

/* ------------------------------------------------------------------------------ */
/* Values the host hands out through services                                      */
/* ------------------------------------------------------------------------------ */

typedef struct tsh_instrument {
    uint32_t struct_size;
    tsh_symbol_id symbol_id;
    tsh_str symbol; /* host-owned, valid until the instance is destroyed */
    tsh_str venue;
    tsh_str base_asset;
    tsh_str quote_asset;
    double tick_size;
    double lot_size;
    double min_size;
    double min_notional;
} tsh_instrument;

typedef struct tsh_book_level {
    double price;
    double size;
} tsh_book_level;

typedef struct tsh_position {
    uint32_t struct_size;
    tsh_symbol_id symbol_id;
    double quantity;        /* signed: > 0 long, < 0 short */
    double average_price;
    double realized_pnl;
    double unrealized_pnl;
    double fees;
} tsh_position;

typedef struct tsh_balance {
    uint32_t struct_size;
    uint32_t reserved;
    double total;
    double available;
    double locked;
} tsh_balance;

/** Fixed layout (no struct_size, elements of a caller-allocated array): it never grows;
 *  a later minor version would add another service instead. */
typedef struct tsh_open_order {
    uint64_t client_order_id;
    tsh_symbol_id symbol_id;
    tsh_side side;
    tsh_order_type type;
    tsh_order_status status;
    double price;
    double size;
    double filled_size;
} tsh_open_order;

/** What a plugin asks the host to trade. */
typedef struct tsh_order_request {
    uint32_t struct_size;
    tsh_symbol_id symbol_id;
    tsh_side side;
    tsh_order_type type;
    tsh_time_in_force time_in_force;
    tsh_order_flags flags;
    double price;          /* limit price; ignored for market orders (use NAN or 0) */
    double size;           /* in base units, > 0 */
    int64_t expire_at_ns;  /* for TSH_TIF_GTD */
    tsh_str tag;           /* why: "trigger", "stop_loss", "take_profit"...; persisted */
} tsh_order_request;

/** What a plugin publishes on the signal bus. */
typedef struct tsh_signal {
    uint32_t struct_size;
    tsh_symbol_id symbol_id; /* TSH_NO_SYMBOL for a symbol-less signal */
    tsh_str name;
    tsh_str payload;
    int32_t direction;
    uint32_t reserved;
    double value;
    double confidence;
    /* ---- 1.1: the host reads them when struct_size covers field_count. At most 64. */
    const tsh_signal_field *_Nullable fields;
    uint32_t field_count;
    uint32_t reserved_1_1;
} tsh_signal;

/** Who this instance is; valid until the instance is destroyed. */
typedef struct tsh_instance_info {
    uint32_t struct_size;
    tsh_mode mode;
    tsh_str instance_id;
    tsh_str kind_id;
    tsh_str venue;
    const tsh_symbol_id *_Nullable symbol_ids;
    uint32_t symbol_count;
    uint32_t reserved;
} tsh_instance_info;

/* ------------------------------------------------------------------------------ */
/* Host services (host -> plugin function table)                                   */
/* ------------------------------------------------------------------------------ */

typedef struct tsh_host tsh_host;

/**
 * The services a plugin instance may call. The table and `context` are owned by the
 * host and stay valid until the instance is destroyed. Every [engine-thread] service
 * returns TSH_ERR_WRONG_THREAD when called from another thread. `symbol_id` arguments
 * must be one of the instance's symbols (or TSH_NO_SYMBOL where allowed).
 */
struct tsh_host {
    tsh_version abi;
    uint32_t struct_size;
    uint32_t reserved;
    void *_Nullable context; /* host-private; pass the table back unchanged */

    /** [thread-safe] The engine clock: simulated in replay, wall clock live. */
    int64_t (*_Nonnull now_ns)(const tsh_host *_Nonnull host);

    /** [thread-safe] Structured log line; the host adds plugin and instance ids. */
    void (*_Nonnull log)(const tsh_host *_Nonnull host, tsh_log_level level, tsh_str message);

    /** [engine-thread] Submit an order. On TSH_OK *out_client_order_id is set and order
     *  events follow. On TSH_ERR_DENIED, err->code is a tsh_deny_reason, an id is still
     *  assigned (and a TSH_ORDER_DENIED event follows, for the record). */
    tsh_status (*_Nonnull submit_order)(const tsh_host *_Nonnull host,
                                        const tsh_order_request *_Nonnull request,
                                        uint64_t *_Nonnull out_client_order_id,
                                        tsh_error *_Nullable err);

    /** [engine-thread] Ask to cancel; a TSH_ORDER_CANCELED event confirms it. */
    tsh_status (*_Nonnull cancel_order)(const tsh_host *_Nonnull host, uint64_t client_order_id,
                                        tsh_error *_Nullable err);

    /** [engine-thread] Publish a signal. Instances subscribed to signals on that symbol
     *  (the emitter excepted) receive it after the current callback returns. */
    tsh_status (*_Nonnull emit_signal)(const tsh_host *_Nonnull host,
                                       const tsh_signal *_Nonnull signal,
                                       tsh_error *_Nullable err);

    /** [engine-thread] One-shot (interval_ns == 0) or repeating timer; fires as a
     *  TSH_EVENT_TIMER on the engine clock. */
    tsh_status (*_Nonnull set_timer)(const tsh_host *_Nonnull host, int64_t fire_at_ns,
                                     int64_t interval_ns, uint64_t user_tag,
                                     uint64_t *_Nonnull out_timer_id);

    /** [engine-thread] TSH_ERR_NOT_FOUND when the timer is unknown or already done. */
    tsh_status (*_Nonnull cancel_timer)(const tsh_host *_Nonnull host, uint64_t timer_id);

    /** [engine-thread] Typed parameter lookup scoped to this instance: the symbol's
     *  override when there is one, else the instance value, else the declared default.
     *  TSH_NO_SYMBOL reads the instance-level value. TSH_ERR_NOT_FOUND for an
     *  undeclared name, TSH_ERR_INVALID_ARGUMENT when the declared type differs. */
    tsh_status (*_Nonnull param_double)(const tsh_host *_Nonnull host, tsh_symbol_id symbol_id,
                                        tsh_str name, double *_Nonnull out_value);
    tsh_status (*_Nonnull param_int)(const tsh_host *_Nonnull host, tsh_symbol_id symbol_id,
                                     tsh_str name, int64_t *_Nonnull out_value);
    tsh_status (*_Nonnull param_bool)(const tsh_host *_Nonnull host, tsh_symbol_id symbol_id,
                                      tsh_str name, bool *_Nonnull out_value);
    /** Copies at most `capacity` bytes; *out_len is the full length (not NUL-terminated).
     *  Returns TSH_ERR_BUFFER_TOO_SMALL when it did not fit. */
    tsh_status (*_Nonnull param_string)(const tsh_host *_Nonnull host, tsh_symbol_id symbol_id,
                                        tsh_str name, char *_Nullable buffer, uint64_t capacity,
                                        uint64_t *_Nonnull out_len);

    /** [engine-thread] Instrument metadata; the strings stay valid until destroy. */
    tsh_status (*_Nonnull instrument)(const tsh_host *_Nonnull host, tsh_symbol_id symbol_id,
                                      tsh_instrument *_Nonnull out_instrument);

    /** [engine-thread] Best `capacity` levels of each side of the host's L2 book, best
     *  first. Either buffer may be NULL to skip that side. */
    tsh_status (*_Nonnull book_levels)(const tsh_host *_Nonnull host, tsh_symbol_id symbol_id,
                                       tsh_book_level *_Nullable bids, tsh_book_level *_Nullable asks,
                                       uint32_t capacity, uint32_t *_Nonnull out_bid_count,
                                       uint32_t *_Nonnull out_ask_count);

    /** [engine-thread] This instance's position in the symbol (its own mode only). */
    tsh_status (*_Nonnull position)(const tsh_host *_Nonnull host, tsh_symbol_id symbol_id,
                                    tsh_position *_Nonnull out_position);

    /** [engine-thread] This instance's balance of an asset (e.g. "USDC"). */
    tsh_status (*_Nonnull balance)(const tsh_host *_Nonnull host, tsh_str asset,
                                   tsh_balance *_Nonnull out_balance);

    /** [engine-thread] This instance's working orders (all its symbols when symbol_id is
     *  TSH_NO_SYMBOL). *out_count is the total; at most `capacity` are copied. */
    tsh_status (*_Nonnull open_orders)(const tsh_host *_Nonnull host, tsh_symbol_id symbol_id,
                                       tsh_open_order *_Nullable orders, uint32_t capacity,
                                       uint32_t *_Nonnull out_count);

    /** [engine-thread] A small persistent key-value store private to this instance id
     *  (survives restarts). Keys up to 256 bytes, values up to 64 KiB. */
    tsh_status (*_Nonnull state_get)(const tsh_host *_Nonnull host, tsh_str key,
                                     uint8_t *_Nullable buffer, uint64_t capacity,
                                     uint64_t *_Nonnull out_len);
    tsh_status (*_Nonnull state_set)(const tsh_host *_Nonnull host, tsh_str key,
                                     const uint8_t *_Nullable value, uint64_t len);
    tsh_status (*_Nonnull state_delete)(const tsh_host *_Nonnull host, tsh_str key);

    /** [thread-safe] An optional service by versioned id (e.g. TSH_SERVICE_METRICS), or
     *  NULL when this host does not offer it. The returned table lives as long as the host. */
    const void *_Nullable (*_Nonnull get_service)(const tsh_host *_Nonnull host,
                                                  const char *_Nonnull service_id);
};

/* ------------------------------------------------------------------------------ */
/* Optional host services, found by versioned id                                   */
/* ------------------------------------------------------------------------------ */

#define TSH_SERVICE_METRICS "tsh.metrics/1"

/** Custom plugin metrics, exported by the host (labelled with the instance id). */
typedef struct tsh_metrics_service {
    uint32_t struct_size;
    uint32_t reserved;
    /** [engine-thread] Add to a counter named `name` (created on first use). */
    void (*_Nonnull counter_add)(const tsh_host *_Nonnull host, tsh_str name, uint64_t delta);
    /** [engine-thread] Set a gauge named `name`. */
    void (*_Nonnull gauge_set)(const tsh_host *_Nonnull host, tsh_str name, double value);
} tsh_metrics_service;

#define TSH_SERVICE_RECORDS "tsh.records/1"

/** One value of a row; `type` is TSH_VALUE_NULL or the column's TSH_COLUMN_* type. Fixed
 *  layout (elements of a caller-built array): it never grows. */
typedef int32_t tsh_value_type;
#define TSH_VALUE_NULL 0

typedef struct tsh_value {
    tsh_value_type type;
    uint32_t reserved;
    int64_t int_value;    /* TSH_COLUMN_INT, TSH_COLUMN_TIME */
    double double_value;  /* TSH_COLUMN_DOUBLE */
    tsh_str text_value;   /* TSH_COLUMN_TEXT; copied by the host */
} tsh_value;

/** Rows of the tables the instance's kind declared (TSH_EXT_RECORDS), persisted by the host
 *  in order with its other writes. */
typedef struct tsh_records_service {
    uint32_t struct_size;
    uint32_t reserved;
    /** [engine-thread] Inserts a row, or replaces the row with the same key. `values` holds one
     *  value per declared column, in declaration order. TSH_ERR_NOT_FOUND for a table the kind
     *  did not declare; TSH_ERR_INVALID_ARGUMENT (message in err) for a wrong count, a type that
     *  is not the column's, null in a key or non-null column, NaN or invalid UTF-8. */
    tsh_status (*_Nonnull upsert)(const tsh_host *_Nonnull host, tsh_str table,
                                  const tsh_value *_Nonnull values, uint32_t value_count,
                                  tsh_error *_Nonnull err);
} tsh_records_service;

#define TSH_SERVICE_BARS "tsh.bars/1"

/** ABI 1.1: the last final bars of a symbol and timeframe — the bars the host aggregated for
 *  the instance's `bars:` timeframes and those a feed delivered (venue history) — so a plugin
 *  started late, or one that needs a longer look-back than it keeps, does not rebuild them. */
typedef struct tsh_bars_service {
    uint32_t struct_size;
    uint32_t reserved;
    /** [engine-thread] Copies the most recent final bars of `symbol_id` with `interval_ns`
     *  (at most `capacity`, oldest first; the host keeps the last `host.bar_history` — 1,000 by
     *  default — per symbol and timeframe) into `out`, an array of `element_size`-byte elements
     *  (the caller's sizeof(tsh_bar_event)); the host writes min(element_size, its own size)
     *  bytes of each, with header.size saying how many. `*out_count` = bars copied (0 before the
     *  first final bar). TSH_ERR_NOT_FOUND for a symbol that is not the instance's;
     *  TSH_ERR_INVALID_ARGUMENT for element_size below TSH_BAR_EVENT_SIZE_V1_0. */
    tsh_status (*_Nonnull history)(const tsh_host *_Nonnull host, tsh_symbol_id symbol_id, int64_t interval_ns,
                                   void *_Nullable out, uint32_t element_size, uint32_t capacity,
                                   uint32_t *_Nonnull out_count);
} tsh_bars_service;

#define TSH_SERVICE_BOOK "tsh.book/1"

/** ABI 1.2: reads of the host's L2 book (the one tsh_book_event reports) as it was before the
 *  L2 message being delivered: during a book event's callback, the book without that event's
 *  changes (a snapshot's included: the levels it cleared come back); in any other callback, the
 *  book after the last book event delivered for the symbol (rows of a message still being
 *  received left out). A plugin that needs the book at a moment in the stream (e.g. "just before
 *  the first message past a candle's end") reads it here instead of keeping its own mirror.
 *  Levels from quotes (a symbol with no L2 feed) are in the host's book too: a plugin that wants
 *  L2 only reads it after its first book event for the symbol. The host answers for any symbol
 *  it knows; TSH_ERR_NOT_FOUND for another id. */
typedef struct tsh_book_service {
    uint32_t struct_size;
    uint32_t reserved;
    /** [engine-thread] The size of the level at `price` on `side` (TSH_SIDE_BUY = bid), 0 when
     *  there is none; the price is rounded to the host's 1e-8 grid. */
    tsh_status (*_Nonnull level_size)(const tsh_host *_Nonnull host, tsh_symbol_id symbol_id, tsh_side side,
                                      double price, double *_Nonnull out_size);
    /** [engine-thread] Like tsh_host.book_levels (best `capacity` levels of each side, best
     *  first, either buffer may be NULL), of the book before the message. A side with as many
     *  levels as `capacity` may have more: ask again with a larger buffer. */
    tsh_status (*_Nonnull levels_before)(const tsh_host *_Nonnull host, tsh_symbol_id symbol_id,
                                         tsh_book_level *_Nullable bids, tsh_book_level *_Nullable asks,
                                         uint32_t capacity, uint32_t *_Nonnull out_bid_count,
                                         uint32_t *_Nonnull out_ask_count);
} tsh_book_service;

/* ------------------------------------------------------------------------------ */
/* Plugin side: parameters, kinds, the manifest                                    */
/* ------------------------------------------------------------------------------ */

typedef int32_t tsh_param_type;
#define TSH_PARAM_BOOL 1
#define TSH_PARAM_INT 2    /* int64 */
#define TSH_PARAM_DOUBLE 3
#define TSH_PARAM_STRING 4
#define TSH_PARAM_ENUM 5   /* a string from allowed_values */

typedef uint32_t tsh_param_flags;
#define TSH_PARAM_HAS_MIN 1u
#define TSH_PARAM_HAS_MAX 2u
#define TSH_PARAM_PER_SYMBOL 4u /* may be overridden per symbol */

/** A parameter a kind accepts. The default is text in the parameter's type ("true",
 *  "42", "0.25", "btc") and the host checks it against the type and range. */
typedef struct tsh_param_descriptor {
    uint32_t struct_size;
    tsh_param_type type;
    const char *_Nonnull name;          /* snake_case, unique within the kind */
    const char *_Nonnull doc;
    const char *_Nonnull default_value;
    tsh_param_flags flags;
    uint32_t allowed_count;
    double min_value;                   /* inclusive, when TSH_PARAM_HAS_MIN */
    double max_value;                   /* inclusive, when TSH_PARAM_HAS_MAX */
    const char *_Nonnull const *_Nullable allowed_values; /* for TSH_PARAM_ENUM */
    const char *_Nullable unit;         /* "bps", "seconds", "USDC"... */
} tsh_param_descriptor;

typedef struct tsh_kind_descriptor tsh_kind_descriptor;

/**
 * The lifecycle of one plugin instance: create -> start -> on_event* -> stop -> destroy.
 * All calls are [engine-thread] unless tagged otherwise; `instance` is what create
 * returned and belongs to the plugin, which frees it in destroy.
 */
typedef struct tsh_plugin_vtable {
    uint32_t struct_size;
    uint32_t reserved;

    /** Create an instance for one configured entry. `host` and `info` stay valid until
     *  destroy. Read parameters here; do not trade yet. */
    tsh_status (*_Nonnull create)(const tsh_kind_descriptor *_Nonnull kind,
                                  const tsh_host *_Nonnull host,
                                  const tsh_instance_info *_Nonnull info,
                                  void *_Nullable *_Nonnull out_instance,
                                  tsh_error *_Nonnull err);

    /** Market data starts flowing after this returns; timers and orders are allowed. */
    tsh_status (*_Nonnull start)(void *_Nullable instance, tsh_error *_Nonnull err);

    /** One event; the pointer is valid for this call only. Cast by header->type. */
    tsh_status (*_Nonnull on_event)(void *_Nullable instance,
                                    const tsh_event_header *_Nonnull event,
                                    tsh_error *_Nonnull err);

    /** No more events follow. Orders may still be canceled here. */
    tsh_status (*_Nonnull stop)(void *_Nullable instance, tsh_error *_Nonnull err);

    /** Free the instance. The host never uses it again. */
    void (*_Nonnull destroy)(void *_Nullable instance);
} tsh_plugin_vtable;

/** One kind of plugin a .so offers (a .so may offer several, e.g. five triggers). */
struct tsh_kind_descriptor {
    uint32_t struct_size;
    uint32_t event_mask;                    /* TSH_EVENT_MASK(TSH_EVENT_QUOTE) | ... */
    const char *_Nonnull kind_id;           /* snake_case, unique within the plugin */
    const char *_Nonnull description;
    const char *_Nonnull const *_Nullable roles; /* TSH_ROLE_* ids */
    uint32_t role_count;
    uint32_t param_count;
    const tsh_param_descriptor *_Nullable params;
    const tsh_plugin_vtable *_Nonnull vtable;
    /** [any-thread] A kind-level extension by versioned id, or NULL. Must have no side
     *  effects; the host calls it while inspecting a plugin it does not run. */
    const void *_Nullable (*_Nullable get_extension)(const tsh_kind_descriptor *_Nonnull kind,
                                                      const char *_Nonnull extension_id);
    const void *_Nullable user_data;        /* the plugin's own, untouched by the host */
};

/* Roles a kind plays on the signal bus (versioned string ids). */
#define TSH_ROLE_TRIGGER "tsh.role.trigger/1"     /* emits signals from market data */
#define TSH_ROLE_SCORER "tsh.role.scorer/1"       /* consumes signals, emits scores */
#define TSH_ROLE_DETECTOR "tsh.role.detector/1"   /* iceberg/absorption and the like */
#define TSH_ROLE_STRATEGY "tsh.role.strategy/1"   /* places orders */

/* Kind-level extensions. */
#define TSH_EXT_SIGNAL_SOURCE "tsh.signal-source/1"

/** ABI 1.1: the signal names a kind consumes. Without it a kind that subscribes to signals
 *  receives every signal on its symbols (1.0 behaviour); with it, only signals whose name
 *  equals one of `names` or starts with a name's text before a trailing '*' ("trigger.*"). */
#define TSH_EXT_SIGNAL_SINK "tsh.signal-sink/1"

typedef struct tsh_signal_sink_ext {
    uint32_t struct_size;
    uint32_t name_count;
    const char *_Nonnull const *_Nullable names;
} tsh_signal_sink_ext;

/** ABI 1.1: tables a kind writes rows to. The host creates each table in its store (key =
 *  the columns flagged TSH_COLUMN_KEY), and persists what the instances upsert through the
 *  TSH_SERVICE_RECORDS service: a row whose key exists replaces it, so re-emitting is
 *  idempotent. Kinds that declare the same table name must declare the same columns. */
#define TSH_EXT_RECORDS "tsh.records/1"

typedef int32_t tsh_column_type;
#define TSH_COLUMN_INT 1    /* int64 */
#define TSH_COLUMN_DOUBLE 2 /* IEEE 754 binary64; NaN is not a value (use null) */
#define TSH_COLUMN_TEXT 3   /* UTF-8 */
#define TSH_COLUMN_TIME 4   /* int64 ns since the Unix epoch; exported as ISO-8601 UTC */

typedef uint32_t tsh_column_flags;
#define TSH_COLUMN_KEY 1u      /* part of the table's key; never null */
#define TSH_COLUMN_NULLABLE 2u /* may hold null */

typedef struct tsh_column_descriptor {
    uint32_t struct_size;
    tsh_column_type type;
    const char *_Nonnull name; /* snake_case, unique within the table */
    const char *_Nonnull doc;
    tsh_column_flags flags;
    uint32_t reserved;
} tsh_column_descriptor;

typedef struct tsh_table_descriptor {
    uint32_t struct_size;
    uint32_t column_count;
    const char *_Nonnull name; /* snake_case */
    const char *_Nonnull doc;
    const tsh_column_descriptor *_Nullable columns; /* elements of columns[0].struct_size bytes */
} tsh_table_descriptor;

typedef struct tsh_records_ext {
    uint32_t struct_size;
    uint32_t table_count;
    const tsh_table_descriptor *_Nullable tables; /* elements of tables[0].struct_size bytes */
} tsh_records_ext;

/** Returned for TSH_EXT_SIGNAL_SOURCE: the signal names this kind may emit. */
typedef struct tsh_signal_source_ext {
    uint32_t struct_size;
    uint32_t name_count;
    const char *_Nonnull const *_Nullable names;
} tsh_signal_source_ext;

/** The manifest: constant, and reading it has no side effects. */
typedef struct tsh_manifest {
    tsh_version abi;                    /* TSH_VERSION_INIT */
    uint32_t struct_size;               /* sizeof(tsh_manifest) */
    tsh_build_fingerprint fingerprint;  /* TSH_BUILD_FINGERPRINT_INIT */
    const char *_Nonnull plugin_id;     /* reverse-DNS, e.g. "dev.example.price_move" */
    const char *_Nonnull name;
    const char *_Nonnull version;       /* semantic version of the plugin, e.g. "1.2.0" */
    const char *_Nonnull description;
    const tsh_kind_descriptor *_Nonnull const *_Nullable kinds;
    uint32_t kind_count;
    uint32_t reserved;
} tsh_manifest;

/* ------------------------------------------------------------------------------ */
/* Frozen 1.0 sizes and the field-coverage test                                    */
/* ------------------------------------------------------------------------------ */

/**
 * sizeof each growable struct as ABI 1.0 laid it out. These numbers never change: a
 * reader refuses struct_size (or event header.size) below them and accepts anything at
 * or above, reading later fields only when TSH_HAS_FIELD is true. abi_layout.c pins
 * them. Defined for 64-bit targets (the ones the host runs on).
 */
#if UINTPTR_MAX == UINT64_MAX
/* Plugin -> host. */
#define TSH_MANIFEST_SIZE_V1_0 80u
#define TSH_KIND_DESCRIPTOR_SIZE_V1_0 72u
#define TSH_PARAM_DESCRIPTOR_SIZE_V1_0 72u
#define TSH_PLUGIN_VTABLE_SIZE_V1_0 48u
#define TSH_SIGNAL_SOURCE_EXT_SIZE_V1_0 16u
#define TSH_SIGNAL_SIZE_V1_0 64u
#define TSH_ORDER_REQUEST_SIZE_V1_0 64u
#define TSH_ERROR_SIZE_V1_0 496u
/* Out-structs the plugin allocates and the host fills. */
#define TSH_INSTRUMENT_SIZE_V1_0 104u
#define TSH_POSITION_SIZE_V1_0 48u
#define TSH_BALANCE_SIZE_V1_0 32u
/* Host -> plugin. */
#define TSH_HOST_SIZE_V1_0 192u
#define TSH_INSTANCE_INFO_SIZE_V1_0 72u
#define TSH_METRICS_SERVICE_SIZE_V1_0 24u
#define TSH_EVENT_HEADER_SIZE_V1_0 40u
#define TSH_QUOTE_EVENT_SIZE_V1_0 72u
#define TSH_TRADE_EVENT_SIZE_V1_0 64u
#define TSH_BOOK_EVENT_SIZE_V1_0 88u
#define TSH_BAR_EVENT_SIZE_V1_0 96u
#define TSH_TIMER_EVENT_SIZE_V1_0 64u
#define TSH_SIGNAL_EVENT_SIZE_V1_0 128u
#define TSH_ORACLE_EVENT_SIZE_V1_0 64u
#define TSH_ORDER_EVENT_SIZE_V1_0 144u
#endif

/** True when a struct of the given struct_size (or event header.size) carries `field`
 *  of `type` whole, e.g. TSH_HAS_FIELD(tsh_signal, confidence, signal->struct_size). */
#define TSH_HAS_FIELD(type, field, struct_size)                                          \
    ((uint64_t)(struct_size) >= (uint64_t)offsetof(type, field) + (uint64_t)sizeof(((type *)0)->field))

/** The entry every plugin exports. [any-thread], no side effects, returns a pointer to
 *  static storage that stays valid until the library is unloaded. */
typedef const tsh_manifest *_Nullable (*tsh_plugin_entry_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* STRATEGY_HOST_SDK_H */
