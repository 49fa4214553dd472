import Foundation

/// The C plugin project `host plugins new … --lang c` writes: one source file, a Makefile, a
/// sample configuration, a market script with the test's expectation, and a README.
///
/// Placeholders: `__NAME__` (snake_case plugin name), `__ID__` (plugin id), `__ROLE__` and the
/// role's own `__ROLE_MACRO__`. Each role's source is a small working plugin, not a stub: it
/// builds, loads, and emits on the bundled script.
enum CTemplate {
    /// The whole source file: the role's `#define`s (its parameter and signal names, event mask)
    /// go right after the includes, its callback and parameter table before the manifest.
    static func source(role: String) -> String {
        let lines = role.split(separator: "\n", omittingEmptySubsequences: false)
        let defines = lines.filter { $0.hasPrefix("#define ") }.joined(separator: "\n")
        let body = lines.filter { !$0.hasPrefix("#define ") }.joined(separator: "\n")
        let anchor = "#define STR(s) ((tsh_str){(s), sizeof(s) - 1})\n"
        return common.replacingOccurrences(of: anchor, with: anchor + "\n" + defines + "\n") + body + manifest
    }

    static let common = #"""
    /*
     * __NAME__ — a __ROLE__ plugin for the strategy host, in C against the SDK header alone.
     *
     * Build: make            (cc -shared -fPIC against `host plugins sdk-path`)
     * Test:  make test       (host plugins check on the bundled market script)
     * Guide: docs/PLUGINS.md in the strategy host repository.
     *
     * Rules the host relies on (PLUGINS.md "Never"): every callback runs on the engine thread and
     * must return quickly; event pointers are valid only during the callback; call the host only
     * from its callbacks, on that thread.
     */
    #include "strategy_host_sdk.h"

    #include <math.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>

    #define STR(s) ((tsh_str){(s), sizeof(s) - 1})

    static tsh_status fail(tsh_error *err, const char *message) {
        size_t n = strlen(message);
        if (n >= TSH_ERROR_MESSAGE_CAPACITY) n = TSH_ERROR_MESSAGE_CAPACITY - 1;
        memcpy(err->message, message, n);
        err->message[n] = 0;
        err->message_len = (uint32_t)n;
        err->code = TSH_ERR_PLUGIN;
        return TSH_ERR_PLUGIN;
    }

    /* Per-symbol state: symbol ids are dense, so one slot per id up to the largest. */
    typedef struct symbol_state {
        double a;          /* first per-symbol parameter */
        double b;          /* second per-symbol parameter */
        double reference;  /* role-specific running value */
        double average;
        int64_t last_ns;
        uint64_t count;
        uint64_t pending;  /* strategy: the working order's id, 0 when none */
    } symbol_state;

    typedef struct instance {
        const tsh_host *host;
        uint32_t slots;
        symbol_state *symbols;
        uint64_t emitted;
    } instance;

    static tsh_status plugin_create(const tsh_kind_descriptor *kind, const tsh_host *host, const tsh_instance_info *info,
                                    void **out, tsh_error *err) {
        (void)kind;
        instance *self = calloc(1, sizeof *self);
        if (!self) return fail(err, "out of memory");
        self->host = host;
        for (uint32_t i = 0; i < info->symbol_count; i++)
            if (info->symbol_ids[i] + 1 > self->slots) self->slots = info->symbol_ids[i] + 1;
        self->symbols = calloc(self->slots ? self->slots : 1, sizeof *self->symbols);
        if (!self->symbols) { free(self); return fail(err, "out of memory"); }
        for (uint32_t i = 0; i < info->symbol_count; i++) {
            tsh_symbol_id id = info->symbol_ids[i];
            symbol_state *s = &self->symbols[id];
            /* Per-symbol values: the host resolves overrides, so read them per symbol id. */
            if (host->param_double(host, id, STR(PARAM_A), &s->a) != TSH_OK ||
                host->param_double(host, id, STR(PARAM_B), &s->b) != TSH_OK) {
                free(self->symbols);
                free(self);
                return fail(err, "could not read parameters " PARAM_A " / " PARAM_B);
            }
            s->reference = NAN;
            s->last_ns = INT64_MIN / 2;
        }
        *out = self;
        return TSH_OK;
    }

    static tsh_status plugin_start(void *opaque, tsh_error *err) {
        (void)err;
        instance *self = opaque;
        self->host->log(self->host, TSH_LOG_INFO, STR("__NAME__ started"));
        return TSH_OK;
    }

    static tsh_status emit(instance *self, tsh_symbol_id symbol, int32_t direction, double value, double confidence,
                           tsh_error *err) {
        char payload[96];
        int n = snprintf(payload, sizeof payload, "{\"value\":%.8g}", value);
        tsh_signal_field fields[] = {{STR("value"), value}};
        tsh_signal signal = {
            .struct_size = sizeof(tsh_signal),
            .symbol_id = symbol,
            .name = STR(SIGNAL_NAME),
            .payload = {payload, (uint64_t)(n > 0 ? n : 0)},
            .direction = direction,
            .value = value,
            .confidence = confidence,
            .fields = fields,
            .field_count = 1,
        };
        tsh_status status = self->host->emit_signal(self->host, &signal, err);
        if (status == TSH_OK) self->emitted++;
        return status;
    }

    """#

    static let trigger = #"""
    /* trigger: signals when the mid moves threshold_bps away from its reference, at most once per
     * cooldown_ms per symbol; the reference then resets. */
    #define PARAM_A "threshold_bps"
    #define PARAM_B "cooldown_ms"
    #define SIGNAL_NAME "trigger.__NAME__"
    #define EVENT_MASK TSH_EVENT_MASK(TSH_EVENT_QUOTE)
    #define CONSUMES_SIGNALS 0

    static tsh_status plugin_on_event(void *opaque, const tsh_event_header *event, tsh_error *err) {
        instance *self = opaque;
        if (event->type != TSH_EVENT_QUOTE || event->symbol_id >= self->slots) return TSH_OK;
        const tsh_quote_event *q = (const tsh_quote_event *)event;
        symbol_state *s = &self->symbols[event->symbol_id];
        double mid = (q->bid_price + q->ask_price) / 2;
        if (!(mid > 0)) return TSH_OK;
        if (isnan(s->reference)) { s->reference = mid; return TSH_OK; }
        double bps = (mid - s->reference) / s->reference * 10000.0;
        if (fabs(bps) < s->a || event->ts_recv_ns - s->last_ns < (int64_t)(s->b * 1e6)) return TSH_OK;
        tsh_status status = emit(self, event->symbol_id, bps > 0 ? 1 : -1, bps, fmin(1.0, fabs(bps) / (2 * s->a)), err);
        if (status != TSH_OK) return status;
        s->reference = mid;
        s->last_ns = event->ts_recv_ns;
        return TSH_OK;
    }

    static const tsh_param_descriptor params[] = {
        {sizeof(tsh_param_descriptor), TSH_PARAM_DOUBLE, "threshold_bps",
         "Move of the mid from its reference that fires the trigger.", "5",
         TSH_PARAM_HAS_MIN | TSH_PARAM_HAS_MAX | TSH_PARAM_PER_SYMBOL, 0, 0.01, 10000, NULL, "bps"},
        {sizeof(tsh_param_descriptor), TSH_PARAM_DOUBLE, "cooldown_ms", "Least time between two signals of one symbol.", "1000",
         TSH_PARAM_HAS_MIN | TSH_PARAM_PER_SYMBOL, 0, 0, 0, NULL, "ms"},
    };
    #define KIND_DESCRIPTION "Signals when the mid moves threshold_bps away from its reference."

    """#

    static let detector = #"""
    /* detector: signals a trade at least `multiplier` times the running average trade size, after
     * min_trades trades of the symbol. */
    #define PARAM_A "multiplier"
    #define PARAM_B "min_trades"
    #define SIGNAL_NAME "detector.__NAME__"
    #define EVENT_MASK TSH_EVENT_MASK(TSH_EVENT_TRADE)
    #define CONSUMES_SIGNALS 0

    static tsh_status plugin_on_event(void *opaque, const tsh_event_header *event, tsh_error *err) {
        instance *self = opaque;
        if (event->type != TSH_EVENT_TRADE || event->symbol_id >= self->slots) return TSH_OK;
        const tsh_trade_event *t = (const tsh_trade_event *)event;
        symbol_state *s = &self->symbols[event->symbol_id];
        if (!(t->size > 0)) return TSH_OK;
        if (s->count >= (uint64_t)s->b && t->size >= s->a * s->average) {
            tsh_status status = emit(self, event->symbol_id, t->aggressor, t->size / s->average,
                                     fmin(1.0, t->size / (2 * s->a * s->average)), err);
            if (status != TSH_OK) return status;
        }
        s->count++;
        s->average += (t->size - s->average) / (double)(s->count < 100 ? s->count : 100);
        return TSH_OK;
    }

    static const tsh_param_descriptor params[] = {
        {sizeof(tsh_param_descriptor), TSH_PARAM_DOUBLE, "multiplier",
         "A trade this many times the average trade size is reported.", "4",
         TSH_PARAM_HAS_MIN | TSH_PARAM_PER_SYMBOL, 0, 1, 0, NULL, NULL},
        {sizeof(tsh_param_descriptor), TSH_PARAM_DOUBLE, "min_trades", "Trades seen before the first report.", "20",
         TSH_PARAM_HAS_MIN | TSH_PARAM_PER_SYMBOL, 0, 1, 0, NULL, NULL},
    };
    #define KIND_DESCRIPTION "Signals trades far larger than the symbol's average trade."

    """#

    static let scorer = #"""
    /* scorer: keeps a per-symbol score, the exponentially decayed sum of direction x confidence of
     * the trigger signals it consumes, and publishes it when |score| >= min_score. */
    #define PARAM_A "half_life_ms"
    #define PARAM_B "min_score"
    #define SIGNAL_NAME "score.__NAME__"
    #define EVENT_MASK TSH_EVENT_MASK(TSH_EVENT_SIGNAL)
    #define CONSUMES_SIGNALS 1

    static tsh_status plugin_on_event(void *opaque, const tsh_event_header *event, tsh_error *err) {
        instance *self = opaque;
        if (event->type != TSH_EVENT_SIGNAL || event->symbol_id >= self->slots) return TSH_OK;
        const tsh_signal_event *e = (const tsh_signal_event *)event;
        symbol_state *s = &self->symbols[event->symbol_id];
        if (isnan(s->reference)) s->reference = 0;
        double elapsed_ms = (double)(event->ts_recv_ns - s->last_ns) / 1e6;
        s->reference *= s->last_ns == INT64_MIN / 2 ? 0 : pow(0.5, elapsed_ms / s->a);
        s->reference += e->direction * e->confidence;
        s->last_ns = event->ts_recv_ns;
        if (fabs(s->reference) < s->b) return TSH_OK;
        return emit(self, event->symbol_id, s->reference > 0 ? 1 : -1, s->reference, fmin(1.0, fabs(s->reference)), err);
    }

    static const tsh_param_descriptor params[] = {
        {sizeof(tsh_param_descriptor), TSH_PARAM_DOUBLE, "half_life_ms", "Time for a signal's weight to halve.", "60000",
         TSH_PARAM_HAS_MIN | TSH_PARAM_PER_SYMBOL, 0, 1, 0, NULL, "ms"},
        {sizeof(tsh_param_descriptor), TSH_PARAM_DOUBLE, "min_score", "Least |score| that is published.", "0.5",
         TSH_PARAM_HAS_MIN | TSH_PARAM_PER_SYMBOL, 0, 0, 0, NULL, NULL},
    };
    #define KIND_DESCRIPTION "Scores trigger signals per symbol with exponential decay."

    """#

    static let strategy = #"""
    /* strategy: buys (sells) order_size on a trigger signal with direction > 0 (< 0) and confidence
     * >= min_confidence, one working order per symbol; publishes each order it sends. */
    #define PARAM_A "order_size"
    #define PARAM_B "min_confidence"
    #define SIGNAL_NAME "strategy.__NAME__.order"
    #define EVENT_MASK (TSH_EVENT_MASK(TSH_EVENT_SIGNAL) | TSH_EVENT_MASK(TSH_EVENT_ORDER))
    #define CONSUMES_SIGNALS 1

    static tsh_status plugin_on_event(void *opaque, const tsh_event_header *event, tsh_error *err) {
        instance *self = opaque;
        if (event->symbol_id >= self->slots) return TSH_OK;
        symbol_state *s = &self->symbols[event->symbol_id];
        if (event->type == TSH_EVENT_ORDER) {
            const tsh_order_event *o = (const tsh_order_event *)event;
            if (o->client_order_id == s->pending && o->status >= TSH_ORDER_FILLED) s->pending = 0;
            return TSH_OK;
        }
        if (event->type != TSH_EVENT_SIGNAL) return TSH_OK;
        const tsh_signal_event *e = (const tsh_signal_event *)event;
        if (s->pending != 0 || e->direction == 0 || e->confidence < s->b) return TSH_OK;
        tsh_order_request order = {
            .struct_size = sizeof(tsh_order_request),
            .symbol_id = event->symbol_id,
            .side = e->direction > 0 ? TSH_SIDE_BUY : TSH_SIDE_SELL,
            .type = TSH_ORDER_MARKET,
            .time_in_force = TSH_TIF_FAK,
            .price = NAN,
            .size = s->a,
            .tag = STR("__NAME__"),
        };
        uint64_t id = 0;
        tsh_status status = self->host->submit_order(self->host, &order, &id, err);
        if (status == TSH_ERR_DENIED) {
            /* Host risk refused it (err->code is the tsh_deny_reason): not a plugin failure. */
            self->host->log(self->host, TSH_LOG_WARNING, (tsh_str){err->message, err->message_len});
            err->message_len = 0;
            err->message[0] = 0;
            return TSH_OK;
        }
        if (status != TSH_OK) return status;
        s->pending = id;
        return emit(self, event->symbol_id, e->direction, s->a, e->confidence, err);
    }

    static const tsh_param_descriptor params[] = {
        {sizeof(tsh_param_descriptor), TSH_PARAM_DOUBLE, "order_size", "Size of each order, in the base asset.", "0.001",
         TSH_PARAM_HAS_MIN | TSH_PARAM_PER_SYMBOL, 0, 0, 0, NULL, "base asset"},
        {sizeof(tsh_param_descriptor), TSH_PARAM_DOUBLE, "min_confidence", "Signals below this confidence are ignored.", "0",
         TSH_PARAM_HAS_MIN | TSH_PARAM_HAS_MAX | TSH_PARAM_PER_SYMBOL, 0, 0, 1, NULL, NULL},
    };
    #define KIND_DESCRIPTION "Trades trigger signals with a fixed order size."

    """#

    static let manifest = #"""
    static tsh_status plugin_stop(void *opaque, tsh_error *err) {
        (void)err;
        instance *self = opaque;
        char line[96];
        int n = snprintf(line, sizeof line, "__NAME__ stopped after %llu signals", (unsigned long long)self->emitted);
        self->host->log(self->host, TSH_LOG_INFO, (tsh_str){line, (uint64_t)(n > 0 ? n : 0)});
        return TSH_OK;
    }

    static void plugin_destroy(void *opaque) {
        instance *self = opaque;
        if (!self) return;
        free(self->symbols);
        free(self);
    }

    /* ---------------------------------------------------------------- manifest */

    static const tsh_plugin_vtable vtable = {
        sizeof(tsh_plugin_vtable), 0, plugin_create, plugin_start, plugin_on_event, plugin_stop, plugin_destroy,
    };

    static const char *const roles[] = {__ROLE_MACRO__};
    static const char *const emitted[] = {SIGNAL_NAME};
    static const tsh_signal_source_ext source = {sizeof(tsh_signal_source_ext), 1, emitted};
    static const char *const consumed[] = {"trigger.*"};
    static const tsh_signal_sink_ext sink = {sizeof(tsh_signal_sink_ext), 1, consumed};

    /* [any-thread], no side effects: the host calls it while inspecting the plugin. */
    static const void *get_extension(const tsh_kind_descriptor *kind, const char *id) {
        (void)kind;
        if (strcmp(id, TSH_EXT_SIGNAL_SOURCE) == 0) return &source;
        if (CONSUMES_SIGNALS && strcmp(id, TSH_EXT_SIGNAL_SINK) == 0) return &sink;
        return NULL;
    }

    static const tsh_kind_descriptor kind = {
        sizeof(tsh_kind_descriptor), EVENT_MASK, "__NAME__", KIND_DESCRIPTION,
        roles, 1, sizeof params / sizeof params[0], params, &vtable, get_extension, NULL,
    };
    static const tsh_kind_descriptor *const kinds[] = {&kind};

    static const tsh_manifest manifest = {
        TSH_VERSION_INIT,
        sizeof(tsh_manifest),
        TSH_BUILD_FINGERPRINT_INIT,
        "__ID__",
        "__NAME__",
        "0.1.0",
        KIND_DESCRIPTION,
        kinds,
        1,
        0,
    };

    /* The one exported symbol (-fvisibility=hidden hides everything else). */
    TSH_EXPORT const tsh_manifest *tsh_plugin_entry(void) { return &manifest; }

    """#

    static let makefile = """
    # __NAME__: a strategy host plugin in C.
    #   make           builds lib__NAME__.so against the host's SDK header
    #   make test      loads, validates and runs it on test/script.csv with `host plugins check`
    #   make install   copies it into ./plugins of PREFIX (default: this directory's parent), where
    #                  `host plugins list` and configurations find it by name
    # HOST is the host that wrote this project; override it (make HOST=/path/to/host) if it moved.
    HOST ?= __HOST__
    SDK_INCLUDE ?= $(shell $(HOST) plugins sdk-path)
    CC ?= cc
    CFLAGS ?= -std=c11 -O2 -Wall -Wextra
    PREFIX ?= ..

    lib__NAME__.so: __NAME__.c
    \t$(CC) $(CFLAGS) -shared -fPIC -fvisibility=hidden -I$(SDK_INCLUDE) $< -o $@ -lm

    test: lib__NAME__.so
    \t$(HOST) plugins check ./lib__NAME__.so --script test/script.csv --config __NAME__.yaml --expect-signal __SIGNAL__

    install: lib__NAME__.so
    \tmkdir -p $(PREFIX)/plugins && cp lib__NAME__.so $(PREFIX)/plugins/

    clean:
    \trm -f lib__NAME__.so

    .PHONY: test install clean

    """
}
