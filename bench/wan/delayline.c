/* A WAN link in user space, for the benchmark only: two TUN devices (one in the scanner's network namespace,
 * one in the site's), every IPv4 packet carried from one to the other after a one-way delay chosen by the
 * site-side address, dropped with a given probability, optionally paced to a link rate.
 *
 * Why not `tc qdisc ... netem`: the kernel of the project machine has no sch_netem (nor sch_fq for EDT
 * pacing), so the delay is applied here, packet by packet: TCP handshakes, retransmissions after loss and
 * every protocol round trip pay it, as on a real link.
 *
 * It also counts, per TCP connection, the client's speaking turns (SYN or payload sent after the server last
 * spoke): each is one round trip the client waited for. Written as TSV to --stats on SIGTERM/SIGINT/SIGUSR1.
 *
 *   delayline --a TUN_A --b TUN_B --b-netns PATH [--delay MS] [--rule CIDR=MS]... [--loss P] [--rate-mbit R]
 *             [--stats FILE] [--seed N]
 * TUN_A is opened in the current namespace, TUN_B after entering PATH (/run/netns/NAME).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
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
#include <time.h>
#include <unistd.h>

#define MAXPKT 65536
#define MAXRULES 16
#define FLOWS (1 << 18)

typedef struct pkt { struct pkt *next; uint64_t due; int len; unsigned char data[]; } pkt;
typedef struct { pkt *head, *tail; } queue;
typedef struct { uint32_t net, mask; uint64_t delay_ns; } rule;
typedef struct {
    uint32_t site_ip, client_ip; uint16_t site_port, client_port; uint8_t used, last_dir;
    uint32_t turns, pkts[2]; uint64_t bytes[2]; uint64_t first_ns, last_ns;
} flow;

static rule rules[MAXRULES];
static int nrules;
static uint64_t default_delay_ns = 15000000ULL;
static double loss;
static double rate_bps;  /* 0 = unlimited */
static const char *stats_path;
static flow *flows;
static volatile sig_atomic_t dump_now, stop_now;
static uint64_t dropped, carried, started_ns;

static uint64_t now_ns(void) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int tun_open(const char *name) {
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
    if (fd < 0) { perror("open /dev/net/tun"); exit(1); }
    struct ifreq ifr; memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) { perror("TUNSETIFF"); exit(1); }
    return fd;
}

static uint64_t delay_for(uint32_t site_ip) {
    for (int i = 0; i < nrules; i++)
        if ((site_ip & rules[i].mask) == rules[i].net) return rules[i].delay_ns;
    return default_delay_ns;
}

static flow *flow_of(uint32_t sip, uint16_t sport, uint32_t cip, uint16_t cport) {
    uint32_t h = (sip * 2654435761u) ^ (cip * 40503u) ^ ((uint32_t)sport << 16 | cport) * 2246822519u;
    for (uint32_t i = 0; i < 64; i++) {
        flow *f = &flows[(h + i) & (FLOWS - 1)];
        if (!f->used) {
            f->used = 1; f->site_ip = sip; f->site_port = sport; f->client_ip = cip; f->client_port = cport;
            f->last_dir = 1; return f;
        }
        if (f->site_ip == sip && f->client_ip == cip && f->site_port == sport && f->client_port == cport) return f;
    }
    return NULL;  /* table crowded: the connection is carried, not counted */
}

/* dir 0: client (A) -> site (B); dir 1: site -> client */
static void account(const unsigned char *p, int len, int dir, uint64_t t) {
    if (len < 20 || (p[0] >> 4) != 4 || p[9] != 6) return;
    int ihl = (p[0] & 15) * 4;
    int tot = (p[2] << 8) | p[3];
    if (len < ihl + 20) return;
    const unsigned char *tcp = p + ihl;
    int doff = (tcp[12] >> 4) * 4, flags = tcp[13];
    int payload = tot - ihl - doff;
    uint32_t src, dst; memcpy(&src, p + 12, 4); memcpy(&dst, p + 16, 4);
    uint16_t sport = (tcp[0] << 8) | tcp[1], dport = (tcp[2] << 8) | tcp[3];
    flow *f = dir == 0 ? flow_of(dst, dport, src, sport) : flow_of(src, sport, dst, dport);
    if (!f) return;
    if (!f->first_ns) f->first_ns = t;
    f->last_ns = t;
    f->pkts[dir]++; f->bytes[dir] += payload > 0 ? payload : 0;
    int speaks = payload > 0 || (flags & 0x02);  /* data or SYN; pure ACKs and FINs are not waited for */
    if (speaks) {
        if (dir == 0 && f->last_dir != 0) f->turns++;
        f->last_dir = dir;
    }
}

static void dump(void) {
    if (!stats_path) return;
    char tmp[4096]; snprintf(tmp, sizeof tmp, "%s.tmp", stats_path);
    FILE *out = fopen(tmp, "w");
    if (!out) { perror(tmp); return; }
    fprintf(out, "# carried %llu dropped %llu\n", (unsigned long long)carried, (unsigned long long)dropped);
    fprintf(out, "site\tsite_port\tclient_port\tturns\tpkts_up\tpkts_down\tbytes_up\tbytes_down\tstart\tseconds\n");
    for (int i = 0; i < FLOWS; i++) {
        flow *f = &flows[i];
        if (!f->used) continue;
        char a[INET_ADDRSTRLEN]; inet_ntop(AF_INET, &f->site_ip, a, sizeof a);
        fprintf(out, "%s\t%u\t%u\t%u\t%u\t%u\t%llu\t%llu\t%.6f\t%.6f\n", a, f->site_port, f->client_port,
                f->turns, f->pkts[0], f->pkts[1], (unsigned long long)f->bytes[0], (unsigned long long)f->bytes[1],
                (f->first_ns - started_ns) / 1e9, (f->last_ns - f->first_ns) / 1e9);
    }
    fclose(out);
    rename(tmp, stats_path);
}

static void on_signal(int sig) { if (sig == SIGUSR1) dump_now = 1; else stop_now = 1; }

static void push(queue *q, pkt *k) { k->next = NULL; if (q->tail) q->tail->next = k; else q->head = k; q->tail = k; }

int main(int argc, char **argv) {
    const char *a = NULL, *b = NULL, *b_netns = NULL;
    unsigned seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(argv[i], "--a")) a = argv[++i];
        else if (!strcmp(argv[i], "--b")) b = argv[++i];
        else if (!strcmp(argv[i], "--b-netns")) b_netns = argv[++i];
        else if (!strcmp(argv[i], "--delay")) { default_delay_ns = (uint64_t)(atof(v) * 1e6); i++; }
        else if (!strcmp(argv[i], "--loss")) { loss = atof(v); i++; }
        else if (!strcmp(argv[i], "--rate-mbit")) { rate_bps = atof(v) * 1e6 / 8; i++; }
        else if (!strcmp(argv[i], "--stats")) stats_path = argv[++i];
        else if (!strcmp(argv[i], "--seed")) { seed = (unsigned)atoi(v); i++; }
        else if (!strcmp(argv[i], "--rule") && nrules < MAXRULES) {
            char buf[64]; strncpy(buf, v, sizeof buf - 1); buf[sizeof buf - 1] = 0; i++;
            char *eq = strchr(buf, '='), *sl = strchr(buf, '/');
            if (!eq || !sl || sl > eq) { fprintf(stderr, "bad --rule %s (CIDR=MS)\n", v); return 2; }
            *eq = 0; *sl = 0;
            int bits = atoi(sl + 1);
            struct in_addr net; if (!inet_aton(buf, &net)) { fprintf(stderr, "bad address in --rule\n"); return 2; }
            uint32_t mask = bits ? htonl(~0u << (32 - bits)) : 0;
            rules[nrules++] = (rule){net.s_addr & mask, mask, (uint64_t)(atof(eq + 1) * 1e6)};
        } else { fprintf(stderr, "unknown argument %s\n", argv[i]); return 2; }
    }
    if (!a || !b || !b_netns) { fprintf(stderr, "usage: see the header of delayline.c\n"); return 2; }
    srand48(seed);
    flows = calloc(FLOWS, sizeof(flow));
    int fa = tun_open(a);
    int ns = open(b_netns, O_RDONLY);
    if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) { perror("setns"); return 1; }
    int fb = tun_open(b);
    struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL); sigaction(SIGINT, &sa, NULL); sigaction(SIGUSR1, &sa, NULL);
    queue q[2] = {{0}};  /* q[0]: towards B, q[1]: towards A; one FIFO per direction (see below) */
    uint64_t link_free[2] = {0, 0};
    int fds[2] = {fa, fb};
    started_ns = now_ns();
    printf("ready\n"); fflush(stdout);
    while (!stop_now) {
        if (dump_now) { dump_now = 0; dump(); }
        uint64_t t = now_ns(), next = t + 100000000ULL;
        for (int d = 0; d < 2; d++) if (q[d].head && q[d].head->due < next) next = q[d].head->due;
        int timeout_ms = next > t ? (int)((next - t + 999999) / 1000000) : 0;
        struct pollfd p[2] = {{fa, POLLIN, 0}, {fb, POLLIN, 0}};
        if (poll(p, 2, timeout_ms) < 0 && errno != EINTR) { perror("poll"); break; }
        t = now_ns();
        for (int d = 0; d < 2; d++) {
            if (!(p[d].revents & POLLIN)) continue;
            for (int n = 0; n < 256; n++) {
                pkt *k = malloc(sizeof(pkt) + MAXPKT);
                int len = read(fds[d], k->data, MAXPKT);
                if (len <= 0) { free(k); break; }
                if (loss > 0 && drand48() < loss) { free(k); dropped++; continue; }
                uint32_t site; memcpy(&site, k->data + (d == 0 ? 16 : 12), 4);
                k->len = len;
                k->due = t + delay_for(site);
                if (rate_bps > 0) {  /* serialisation on the link: one packet after the other */
                    uint64_t start = link_free[d] > t ? link_free[d] : t;
                    link_free[d] = start + (uint64_t)(len / rate_bps * 1e9);
                    if (k->due < link_free[d]) k->due = link_free[d];
                }
                /* delays differ by rule, so keep the FIFO ordered by due time (insert from the tail) */
                if (!q[d].tail || q[d].tail->due <= k->due) push(&q[d], k);
                else {
                    pkt **pp = &q[d].head;
                    while (*pp && (*pp)->due <= k->due) pp = &(*pp)->next;
                    k->next = *pp; *pp = k;
                }
                account(k->data, len, d, t);
            }
        }
        t = now_ns();
        for (int d = 0; d < 2; d++) {
            while (q[d].head && q[d].head->due <= t) {
                pkt *k = q[d].head;
                q[d].head = k->next; if (!q[d].head) q[d].tail = NULL;
                if (write(fds[1 - d], k->data, k->len) > 0) carried++;
                free(k);
            }
        }
    }
    dump();
    return 0;
}
