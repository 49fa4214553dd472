/*
 * price_move_trigger — a drop-in trigger plugin written in plain C against the SDK header.
 *
 * Kinds:
 *   price_move    emits "trigger.price_move" when the mid moved at least threshold_bps away
 *                 from its reference price (the reference then resets), at most once per
 *                 cooldown_ms per symbol. direction = sign of the move, value = move in bps,
 *                 confidence = min(1, |move| / (2 * threshold)).
 *   volume_spike  emits "trigger.volume_spike" when the traded volume of the last window_ms
 *                 exceeds multiplier x its running average per window. direction = side of
 *                 the dominant aggressor, value = the window's volume.
 *
 * Build: part of the package (`swift build` makes libprice_move_trigger.so), or by hand:
 *   cc -std=c11 -O2 -shared -fPIC -fvisibility=hidden -I SDK/C/include \
 *      Plugins/Examples/PriceMoveTrigger/price_move_trigger.c -o price_move_trigger.so
 */
#include "strategy_host_sdk.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR(s) ((tsh_str){(s), sizeof(s) - 1})

static void set_error(tsh_error *err, const char *message) {
    size_t n = strlen(message);
    if (n >= TSH_ERROR_MESSAGE_CAPACITY) n = TSH_ERROR_MESSAGE_CAPACITY - 1;
    memcpy(err->message, message, n);
    err->message[n] = 0;
    err->message_len = (uint32_t)n;
    err->code = TSH_ERR_PLUGIN;
}

/* ---------------------------------------------------------------- price_move */

typedef struct move_symbol {
    double threshold;     /* fraction, from threshold_bps */
    int64_t cooldown_ns;
    double reference;     /* NAN until the first quote */
    int64_t last_emit_ns;
} move_symbol;

typedef struct move_instance {
    const tsh_host *host;
    uint32_t slots;        /* symbol ids are dense; one slot per id up to the largest */
    move_symbol *symbols;
    uint64_t emitted;
} move_instance;

static tsh_status move_create(const tsh_kind_descriptor *kind, const tsh_host *host, const tsh_instance_info *info,
                              void **out, tsh_error *err) {
    (void)kind;
    move_instance *self = calloc(1, sizeof *self);
    if (!self) { set_error(err, "out of memory"); return TSH_ERR_PLUGIN; }
    self->host = host;
    for (uint32_t i = 0; i < info->symbol_count; i++)
        if (info->symbol_ids[i] + 1 > self->slots) self->slots = info->symbol_ids[i] + 1;
    self->symbols = calloc(self->slots ? self->slots : 1, sizeof *self->symbols);
    if (!self->symbols) { free(self); set_error(err, "out of memory"); return TSH_ERR_PLUGIN; }
    for (uint32_t i = 0; i < info->symbol_count; i++) {
        tsh_symbol_id id = info->symbol_ids[i];
        double bps = 0, cooldown_ms = 0;
        if (host->param_double(host, id, STR("threshold_bps"), &bps) != TSH_OK ||
            host->param_double(host, id, STR("cooldown_ms"), &cooldown_ms) != TSH_OK) {
            free(self->symbols); free(self);
            set_error(err, "could not read threshold_bps / cooldown_ms");
            return TSH_ERR_PLUGIN;
        }
        self->symbols[id].threshold = bps / 10000.0;
        self->symbols[id].cooldown_ns = (int64_t)(cooldown_ms * 1e6);
        self->symbols[id].reference = NAN;
        self->symbols[id].last_emit_ns = INT64_MIN / 2;
    }
    *out = self;
    return TSH_OK;
}

static tsh_status move_start(void *instance, tsh_error *err) {
    (void)err;
    move_instance *self = instance;
    self->host->log(self->host, TSH_LOG_INFO, STR("price_move trigger started"));
    return TSH_OK;
}

static tsh_status move_on_event(void *instance, const tsh_event_header *event, tsh_error *err) {
    move_instance *self = instance;
    if (event->type != TSH_EVENT_QUOTE) return TSH_OK;
    const tsh_quote_event *q = (const tsh_quote_event *)event;
    if (event->symbol_id >= self->slots) return TSH_OK;
    move_symbol *s = &self->symbols[event->symbol_id];
    double mid = (q->bid_price + q->ask_price) / 2;
    if (!(mid > 0)) return TSH_OK;
    if (isnan(s->reference)) { s->reference = mid; return TSH_OK; }
    double move = (mid - s->reference) / s->reference;
    if (fabs(move) < s->threshold) return TSH_OK;
    if (event->ts_recv_ns - s->last_emit_ns < s->cooldown_ns) return TSH_OK;

    char payload[128];
    int n = snprintf(payload, sizeof payload, "{\"reference\":%.8g,\"mid\":%.8g}", s->reference, mid);
    tsh_signal signal = {
        .struct_size = sizeof(tsh_signal),
        .symbol_id = event->symbol_id,
        .name = STR("trigger.price_move"),
        .payload = {payload, (uint64_t)(n > 0 ? n : 0)},
        .direction = move > 0 ? 1 : -1,
        .value = move * 10000.0,
        .confidence = fmin(1.0, fabs(move) / (2 * s->threshold)),
    };
    tsh_status status = self->host->emit_signal(self->host, &signal, err);
    if (status != TSH_OK) return status;
    s->reference = mid;
    s->last_emit_ns = event->ts_recv_ns;
    self->emitted++;
    return TSH_OK;
}

static tsh_status move_stop(void *instance, tsh_error *err) {
    (void)err;
    move_instance *self = instance;
    char line[96];
    int n = snprintf(line, sizeof line, "price_move trigger stopped after %llu signals", (unsigned long long)self->emitted);
    self->host->log(self->host, TSH_LOG_INFO, (tsh_str){line, (uint64_t)n});
    return TSH_OK;
}

static void move_destroy(void *instance) {
    move_instance *self = instance;
    if (!self) return;
    free(self->symbols);
    free(self);
}

/* ---------------------------------------------------------------- volume_spike */

typedef struct spike_symbol {
    int64_t window_ns;
    double multiplier;
    int64_t window_start;
    double volume, buy_volume;
    double average;        /* exponential average of window volumes, 0 until one window closed */
    uint32_t windows;
} spike_symbol;

typedef struct spike_instance {
    const tsh_host *host;
    uint32_t slots;
    spike_symbol *symbols;
} spike_instance;

static tsh_status spike_create(const tsh_kind_descriptor *kind, const tsh_host *host, const tsh_instance_info *info,
                               void **out, tsh_error *err) {
    (void)kind;
    spike_instance *self = calloc(1, sizeof *self);
    if (!self) { set_error(err, "out of memory"); return TSH_ERR_PLUGIN; }
    self->host = host;
    for (uint32_t i = 0; i < info->symbol_count; i++)
        if (info->symbol_ids[i] + 1 > self->slots) self->slots = info->symbol_ids[i] + 1;
    self->symbols = calloc(self->slots ? self->slots : 1, sizeof *self->symbols);
    if (!self->symbols) { free(self); set_error(err, "out of memory"); return TSH_ERR_PLUGIN; }
    for (uint32_t i = 0; i < info->symbol_count; i++) {
        tsh_symbol_id id = info->symbol_ids[i];
        int64_t window_ms = 0;
        double multiplier = 0;
        if (host->param_int(host, id, STR("window_ms"), &window_ms) != TSH_OK ||
            host->param_double(host, id, STR("multiplier"), &multiplier) != TSH_OK) {
            free(self->symbols); free(self);
            set_error(err, "could not read window_ms / multiplier");
            return TSH_ERR_PLUGIN;
        }
        self->symbols[id].window_ns = window_ms * 1000000;
        self->symbols[id].multiplier = multiplier;
        self->symbols[id].window_start = INT64_MIN;
    }
    *out = self;
    return TSH_OK;
}

static tsh_status spike_start(void *instance, tsh_error *err) { (void)instance; (void)err; return TSH_OK; }
static tsh_status spike_stop(void *instance, tsh_error *err) { (void)instance; (void)err; return TSH_OK; }

static tsh_status spike_on_event(void *instance, const tsh_event_header *event, tsh_error *err) {
    spike_instance *self = instance;
    if (event->type != TSH_EVENT_TRADE || event->symbol_id >= self->slots) return TSH_OK;
    const tsh_trade_event *t = (const tsh_trade_event *)event;
    spike_symbol *s = &self->symbols[event->symbol_id];
    if (s->window_start == INT64_MIN) s->window_start = event->ts_recv_ns;
    if (event->ts_recv_ns - s->window_start >= s->window_ns) {
        /* Close the window: compare, then fold it into the average. */
        if (s->windows >= 5 && s->volume > s->multiplier * s->average) {
            tsh_signal signal = {
                .struct_size = sizeof(tsh_signal),
                .symbol_id = event->symbol_id,
                .name = STR("trigger.volume_spike"),
                .direction = s->buy_volume * 2 >= s->volume ? 1 : -1,
                .value = s->volume,
                .confidence = fmin(1.0, s->volume / (2 * s->multiplier * s->average)),
            };
            tsh_status status = self->host->emit_signal(self->host, &signal, err);
            if (status != TSH_OK) return status;
        }
        s->average = s->windows == 0 ? s->volume : s->average * 0.9 + s->volume * 0.1;
        s->windows++;
        s->volume = s->buy_volume = 0;
        s->window_start = event->ts_recv_ns;
    }
    s->volume += t->size;
    if (t->aggressor == TSH_SIDE_BUY) s->buy_volume += t->size;
    return TSH_OK;
}

static void spike_destroy(void *instance) {
    spike_instance *self = instance;
    if (!self) return;
    free(self->symbols);
    free(self);
}

/* ---------------------------------------------------------------- manifest */

static const tsh_plugin_vtable move_vtable = {
    sizeof(tsh_plugin_vtable), 0, move_create, move_start, move_on_event, move_stop, move_destroy,
};
static const tsh_plugin_vtable spike_vtable = {
    sizeof(tsh_plugin_vtable), 0, spike_create, spike_start, spike_on_event, spike_stop, spike_destroy,
};

static const tsh_param_descriptor move_params[] = {
    {sizeof(tsh_param_descriptor), TSH_PARAM_DOUBLE, "threshold_bps",
     "Move of the mid from its reference, in basis points, that fires the trigger.", "25",
     TSH_PARAM_HAS_MIN | TSH_PARAM_HAS_MAX | TSH_PARAM_PER_SYMBOL, 0, 0.1, 10000, NULL, "bps"},
    {sizeof(tsh_param_descriptor), TSH_PARAM_DOUBLE, "cooldown_ms",
     "Least time between two signals of one symbol.", "1000",
     TSH_PARAM_HAS_MIN | TSH_PARAM_PER_SYMBOL, 0, 0, 0, NULL, "ms"},
};
static const tsh_param_descriptor spike_params[] = {
    {sizeof(tsh_param_descriptor), TSH_PARAM_INT, "window_ms", "Length of one volume window.", "5000",
     TSH_PARAM_HAS_MIN | TSH_PARAM_HAS_MAX | TSH_PARAM_PER_SYMBOL, 0, 10, 3600000, NULL, "ms"},
    {sizeof(tsh_param_descriptor), TSH_PARAM_DOUBLE, "multiplier",
     "A window's volume must exceed this multiple of the average window.", "3",
     TSH_PARAM_HAS_MIN | TSH_PARAM_PER_SYMBOL, 0, 1, 0, NULL, NULL},
};

static const char *const trigger_roles[] = {TSH_ROLE_TRIGGER};
static const char *const move_signals[] = {"trigger.price_move"};
static const char *const spike_signals[] = {"trigger.volume_spike"};
static const tsh_signal_source_ext move_source = {sizeof(tsh_signal_source_ext), 1, move_signals};
static const tsh_signal_source_ext spike_source = {sizeof(tsh_signal_source_ext), 1, spike_signals};

static const void *get_extension(const tsh_kind_descriptor *kind, const char *id) {
    if (strcmp(id, TSH_EXT_SIGNAL_SOURCE) != 0) return NULL;
    return kind->user_data;
}

static const tsh_kind_descriptor move_kind = {
    sizeof(tsh_kind_descriptor), TSH_EVENT_MASK(TSH_EVENT_QUOTE), "price_move",
    "Signals when the mid moves threshold_bps away from its reference.",
    trigger_roles, 1, 2, move_params, &move_vtable, get_extension, &move_source,
};
static const tsh_kind_descriptor spike_kind = {
    sizeof(tsh_kind_descriptor), TSH_EVENT_MASK(TSH_EVENT_TRADE), "volume_spike",
    "Signals when a window's traded volume exceeds a multiple of the average window.",
    trigger_roles, 1, 2, spike_params, &spike_vtable, get_extension, &spike_source,
};
static const tsh_kind_descriptor *const kinds[] = {&move_kind, &spike_kind};

static const tsh_manifest manifest = {
    TSH_VERSION_INIT,
    sizeof(tsh_manifest),
    TSH_BUILD_FINGERPRINT_INIT,
    "dev.strategyhost.price_move_trigger",
    "Price move and volume spike triggers",
    "1.0.0",
    "Example drop-in triggers written in C: mid moves and traded-volume spikes.",
    kinds,
    2,
    0,
};

TSH_EXPORT const tsh_manifest *tsh_plugin_entry(void) { return &manifest; }
