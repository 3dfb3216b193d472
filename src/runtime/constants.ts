/**
 * The numbers of the main/worker protocol (protocol.ts has its messages): ring record kinds and
 * flags, the mailbox's sender-thread flags, receipt outcomes, and the layout of each thread's
 * counters in shared memory. One vocabulary: flags are F_*, kinds K_*, outcomes R_*, slots S_*.
 */

// Ring record kinds (the `kind` word of a record).
/** A user message, no reply expected. */
export const K_TELL = 1;
/** A user message whose reply goes to the sender thread's ask table under `corr`. */
export const K_ASK = 2;
/** A reply value for ask `corr` on the target thread. */
export const K_REPLY = 3;
/** A failed ask: the payload is a WireError. */
export const K_REPLY_ERROR = 4;
/** A system message (stop, watch notices): the actor's system lane, ahead of user mail. */
export const K_SYSTEM = 16;
/**
 * Host → main: the outcome of a message delivered with a receipt (`target` = receipt id, `sender`
 * = one of the R_* outcomes; payload: the error, or null). Not a user message: not counted.
 */
export const K_RECEIPT = 17;
/** Host → main: a message for an actor on another node (payload: a RemoteSend). Counted as sent. */
export const K_REMOTE = 5;
/**
 * Main → host: a tell from another node that wants a receipt when it is done (`corr` = receipt
 * id). K_TELL_LAST: the same, on its last delivery: a failure dead-letters it instead of handing
 * it back for redelivery.
 */
export const K_TELL_RECEIPT = 6;
export const K_TELL_LAST = 7;
/**
 * Credit for flow control (flow.ts): the receiver took (or dead-lettered) a message that asked for
 * it. `target` = the sender's actor id (0: the thread itself), `sender` = the receiving actor's id;
 * no payload. Not a user message: not counted.
 */
export const K_CREDIT = 18;
/** Kinds below this are user messages (counted as sent); at or above, the runtime's own (K_SYSTEM, K_RECEIPT). */
export const K_UNCOUNTED = K_SYSTEM;
/** Receipt outcomes. */
export const R_PROCESSED = 0;
/** The handler failed (or it could not be taken now): hand it back for redelivery later. */
export const R_RETRY = 1;
/** It was dead-lettered here (the dead letter says why). */
export const R_DEAD_LETTERED = 2;
/** Flag: the payload is a u32 sequence number; the message itself came over the link's port. */
export const F_POSTED = 0x100;
/** Flag: the sender asks for credit when this message is taken (flow.ts). */
export const F_CREDIT = 0x200;
export const KIND_MASK = 0xff;

/** Thread index of the main thread in the mesh. Host worker k is thread k + 1. */
export const MAIN_THREAD = 0;
/** Target id of a thread's own ask table (replies go there). */
export const ASK_TABLE = 0;

/** Per-thread counters in shared memory (Float64Array slots; each thread writes only its own). */
export const S_SENT = 0;
export const S_PROCESSED = 1;
export const S_DEAD_LETTERED = 2;
export const S_QUEUED = 3;
export const S_FAILED = 4;
export const S_ACTORS = 5;
export const S_RESTARTS = 6;
/** Breakers not closed (open or half-open) right now. */
export const S_OPEN_BREAKERS = 7;
/** Failures that escalated past the top of the tree (a subtree stopped). */
export const S_ROOT_ESCALATIONS = 8;
/** Wall-clock ms (Date.now()) of the last failure, restart, and escalation to the top. */
export const S_LAST_FAILURE_AT = 9;
export const S_LAST_RESTART_AT = 10;
export const S_LAST_ESCALATION_AT = 11;
/** Turns actors were given by the scheduler (a busy-looping host shows here). */
export const S_TURNS = 12;
/** User records this thread sent through the mesh that are not yet published in a ring (spilled or unpublished). */
export const S_OUTSTANDING = 13;
/** The host's next actor id: a replacement host goes on from it, so an old ref never names a new actor. */
export const S_NEXT_ID = 14;
/** Ask correlation ids below this may be in use (reserved in blocks): a replacement host starts above. */
export const S_NEXT_CORR = 15;
/** performance.timeOrigin + performance.now() of the host's last heartbeat (a timer): the watchdog reads it. */
export const S_HEARTBEAT = 16;
/** The actor whose handler (or init) runs synchronously right now, or 0. */
export const S_CUR_ACTOR = 17;
/** Its message's sender (thread * 2^32 + actor id) and correlation id (negative: a receipt id, see Remote). */
export const S_CUR_FROM = 18;
export const S_CUR_CORR = 19;
/** Messages from other nodes handed back for redelivery after a failed attempt (R_RETRY). */
export const S_RETURNED = 20;
/** The top-level actor whose subtree's code runs synchronously right now (S_CUR_ACTOR's, or its ancestor), or 0. */
export const S_CUR_ROOT = 22;
export const STATS_SLOTS = 24;

/** Mailbox sender-thread flags of a tell from another node: it wants a receipt (its id is in `corr`) ... */
export const F_RECEIPT = 0x10000;
/** ... and this is its last delivery (a failure dead-letters it rather than hand it back). */
export const F_LAST = 0x20000;
/** ... and, for any message, its sender asks for credit when it is taken (F_CREDIT of its record). */
export const F_CREDIT_DUE = 0x40000;
/**
 * ... and (on its way in only, never in a mailbox) its record was queued by a host that died:
 * if its actor did not come back, it is dead-lettered `worker-died`, not `no-such-actor`.
 */
export const F_REREAD = 0x80000;
/** The sender thread in a mailbox's sender-thread word (below the F_RECEIPT and F_LAST flags). */
export const THREAD_MASK = 0xffff;
