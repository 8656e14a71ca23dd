/*
 * A path with round-trip time and loss, for `npm run bench:rtt` (delay-path.ts):
 * this kernel has no netem, so packets cross between two network namespaces
 * through this program instead. It creates two TUN devices (the caller moves each
 * into its namespace), reads every packet either side sends, holds it for the
 * one-way delay in a FIFO per direction, drops a given share at random, and writes
 * it out of the other device.
 *
 * Usage: delay-forwarder TUN_A TUN_B
 * Prints "ready" once both devices exist. Then reads lines "DELAY_MS LOSS_PERCENT"
 * on stdin, each of which applies to packets read from then on (both directions;
 * 0 0 until the first). On SIGTERM or end of stdin it prints what it forwarded and
 * dropped, and exits. It asks for real-time priority, so that a busy machine delays
 * packets by the set amount and not by however long the scheduler takes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

/* Packets held per direction: 80 ms at 100 MB/s is about 5,500 full-size packets. */
#define SLOTS 16384
#define PACKET_MAX 2048

struct packet {
  int64_t due_ns;
  uint16_t length;
  unsigned char bytes[PACKET_MAX];
};

/* One direction: packets read from `from`, written to `to` when due. */
struct direction {
  int from, to;
  struct packet *ring;
  unsigned head, count;
  uint64_t forwarded, lost, overflowed;
};

static volatile sig_atomic_t stopping = 0;
static int64_t delay_ns = 0;
/* Loss as a threshold on a 32-bit random number. */
static uint32_t loss_threshold = 0;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static void on_signal(int signal) {
  (void)signal;
  stopping = 1;
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static uint32_t random32(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 32);
}

static int open_tun(const char *name) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    perror("open /dev/net/tun");
    exit(1);
  }
  struct ifreq request;
  memset(&request, 0, sizeof request);
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  strncpy(request.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &request) < 0) {
    fprintf(stderr, "TUNSETIFF %s: %s\n", name, strerror(errno));
    exit(1);
  }
  return fd;
}

/* Takes in every packet waiting on the direction's device. */
static void read_all(struct direction *d) {
  static unsigned char overflow[PACKET_MAX];
  for (;;) {
    struct packet *slot = &d->ring[(d->head + d->count) % SLOTS];
    ssize_t length = read(d->from, d->count < SLOTS ? slot->bytes : overflow, PACKET_MAX);
    if (length < 0) return; /* EAGAIN: nothing more for now */
    if (d->count == SLOTS) {
      d->overflowed++;
    } else if (loss_threshold && random32() < loss_threshold) {
      d->lost++;
    } else {
      slot->length = (uint16_t)length;
      slot->due_ns = now_ns() + delay_ns;
      d->count++;
    }
  }
}

/* Writes out every packet whose time has come; returns the next one's due time, or -1. */
static int64_t write_due(struct direction *d, int64_t now) {
  while (d->count) {
    struct packet *packet = &d->ring[d->head];
    if (packet->due_ns > now) return packet->due_ns;
    if (write(d->to, packet->bytes, packet->length) == packet->length) d->forwarded++;
    d->head = (d->head + 1) % SLOTS;
    d->count--;
  }
  return -1;
}

/* Applies "DELAY_MS LOSS_PERCENT" lines; returns 0 at end of input. */
static int read_settings(void) {
  static char line[256];
  static size_t filled = 0;
  ssize_t length = read(STDIN_FILENO, line + filled, sizeof line - 1 - filled);
  if (length <= 0) return length < 0 && errno == EAGAIN;
  filled += (size_t)length;
  line[filled] = 0;
  char *end;
  while ((end = strchr(line, '\n'))) {
    double delay_ms = 0, loss_percent = 0;
    if (sscanf(line, "%lf %lf", &delay_ms, &loss_percent) == 2 && delay_ms >= 0 && loss_percent >= 0 && loss_percent <= 100) {
      delay_ns = (int64_t)(delay_ms * 1e6);
      loss_threshold = (uint32_t)(loss_percent / 100 * 4294967295.0);
      printf("set %.3f ms %.3f%%\n", delay_ms, loss_percent);
    } else {
      fprintf(stderr, "ignored settings line: %.*s\n", (int)(end - line), line);
    }
    fflush(stdout);
    filled -= (size_t)(end + 1 - line);
    memmove(line, end + 1, filled + 1);
  }
  if (filled == sizeof line - 1) filled = 0; /* a line too long to be settings */
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s TUN_A TUN_B\n", argv[0]);
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  struct sched_param priority = {.sched_priority = 50};
  if (sched_setscheduler(0, SCHED_FIFO, &priority) < 0) fprintf(stderr, "no real-time priority (%s): delays may stretch under load\n", strerror(errno));
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  rng ^= (uint64_t)now_ns();

  int a = open_tun(argv[1]), b = open_tun(argv[2]);
  struct direction there = {.from = a, .to = b, .ring = calloc(SLOTS, sizeof(struct packet))};
  struct direction back = {.from = b, .to = a, .ring = calloc(SLOTS, sizeof(struct packet))};
  if (!there.ring || !back.ring) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
  printf("ready\n");
  fflush(stdout);

  struct pollfd fds[3] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}, {.fd = STDIN_FILENO, .events = POLLIN}};
  int input_open = 1;
  while (!stopping) {
    int64_t now = now_ns();
    int64_t next_there = write_due(&there, now), next_back = write_due(&back, now);
    int64_t next = next_there < 0 ? next_back : next_back < 0 ? next_there : (next_there < next_back ? next_there : next_back);
    struct timespec wait = {0, 0};
    if (next >= 0) {
      int64_t left = next - now_ns();
      if (left > 0) wait = (struct timespec){left / 1000000000, left % 1000000000};
    }
    int ready = ppoll(fds, input_open ? 3 : 2, next >= 0 ? &wait : NULL, NULL);
    if (ready < 0 && errno != EINTR) {
      perror("ppoll");
      break;
    }
    if (ready <= 0) continue;
    if (fds[0].revents & POLLIN) read_all(&there);
    if (fds[1].revents & POLLIN) read_all(&back);
    if (input_open && fds[2].revents & (POLLIN | POLLHUP)) input_open = read_settings();
    if (!input_open) break;
  }
  printf("forwarded %llu/%llu packets (A→B/B→A), lost on purpose %llu/%llu, dropped with the queue full %llu/%llu\n",
         (unsigned long long)there.forwarded, (unsigned long long)back.forwarded, (unsigned long long)there.lost, (unsigned long long)back.lost,
         (unsigned long long)there.overflowed, (unsigned long long)back.overflowed);
  return 0;
}
