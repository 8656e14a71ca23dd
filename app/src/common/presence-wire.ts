/**
 * The server's presence stream, as page and server agree on it: a WebSocket at
 * PRESENCE_PATH on which the server only ever says it is still there.
 */
export const PRESENCE_PATH = '/presence';

/**
 * How often the server speaks on each stream: an empty message for the page, a ping
 * for the server to notice pages that vanished. Long enough that tens of thousands
 * of streams cost the server little; well inside proxies' idle timeouts (HAProxy's
 * `timeout tunnel`).
 */
export const PRESENCE_HEARTBEAT_MS = 20_000;

/** A stream silent this long is dead, though its socket never said so (a network that vanished without a word). */
export const PRESENCE_SILENCE_MS = 2.5 * PRESENCE_HEARTBEAT_MS;
