/**
 * How `ferry` ends, for scripts that run it: each kind of failure has its own code,
 * so a script can retry what is worth retrying and give up on the rest.
 */
export const EXIT = {
  /** Everything was sent or received. */
  ok: 0,
  /**
   * The transfer failed: the sender stopped sharing, declined, or stopped waiting for a
   * password or its approval; a file failed its hash, the sender's files changed, a wrong password.
   * For `ferry hash`: a file could not be hashed (missing, unreadable, a folder); the
   * others were still hashed and printed, as sha256sum ends with 1.
   */
  failed: 1,
  /** The command line is wrong (an unknown option, no files) or the link is damaged. Retrying the same command will not help. */
  usage: 2,
  /**
   * The Ferry server or the sender could not be reached, a dropped connection could not be
   * made again within 10 minutes, or the sender is serving as many receivers as it can.
   * Retrying later may help.
   */
  unreachable: 3,
  /** The disk filled up while receiving. What arrived is kept: a retry once there is room resumes it. */
  diskFull: 4,
  /**
   * The output folder is not safe to write into: its `.ferry` is a link, another user's, or
   * writable by others, or a link was planted where a file of the transfer goes. Nothing
   * was written through it; retrying will not help until it is removed.
   */
  unsafeFolder: 5,
  /** Stopped with Ctrl-C: 128 + SIGINT (2), as shells report a process that SIGINT ended. */
  interrupted: 130,
  /**
   * Whoever read the output stopped reading (`ferry hash * | head -1`): 128 + SIGPIPE (13),
   * as shells report sha256sum and the like that the closed pipe ended.
   */
  outputClosed: 141,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
