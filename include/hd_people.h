/* hd_people.h -- helpers shared by customer.c and agent.c. */
#ifndef HD_PEOPLE_H
#define HD_PEOPLE_H

#include "helpdesk.h"

#define HD_EMAIL_MAX 254
#define HD_NAME_MAX 256

/* 1 when s looks like an e-mail address: 1..254 bytes, no spaces or control
 * characters, exactly one '@' with a non-empty local part, and a domain that
 * contains a '.' which is not its first or last byte. */
int hdValidEmail(const char *s, size_t len);

#endif
