/* globals.c -- module-wide settings and INFO counters (hdg).
 *
 * Defined on the ground floor so any layer may read a setting or bump a
 * counter without depending on module.c, which registers the settings as
 * module configs and reports the counters in INFO helpdesk. */
#include "helpdesk.h"

HdGlobals hdg = { .enforce_identity = 0, .max_text = 65536, .sla_timer_ms = 1000 };
