/* pubsub.h -- pub/sub state other modules need.
 *
 * What it promises
 *   - pubsub_publish() delivers a message to every subscriber of the
 *     channel and of every matching pattern (RESP2 arrays, RESP3 pushes)
 *     and returns how many deliveries it made.
 *   - A client's subscriptions go with it on disconnect and on RESET.
 * Main thread only.
 */
#ifndef PUBSUB_H
#define PUBSUB_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"

void pubsub_init(void);
long long pubsub_publish(const char *ch, size_t chlen, const char *msg, size_t msglen);
/* RESET and disconnect: drop every subscription, silently. */
void pubsub_reset_client(client *c);
/* Subscriptions of c (CLIENT LIST sub=/psub=/ssub=). */
int pubsub_client_channels(const client *c);
int pubsub_client_patterns(const client *c);
int pubsub_client_shard_channels(const client *c);
/* INFO: channels with subscribers, distinct patterns, shard channels. */
uint64_t pubsub_channels_count(void);
uint64_t pubsub_patterns_count(void);
uint64_t pubsub_shard_channels_count(void);

#endif
