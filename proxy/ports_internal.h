// SPDX-License-Identifier: Apache-2.0
/* proxy: internals of port publishing (not a public header). */
#pragma once

#include "proxy/fw_internal.h"
#include "wire/wire.h"

#include <netinet/in.h>

struct ports__relay_listener;

/* One published port. */
struct ports__entry {
	struct nd_port_map map;       /* canonical text */
	struct fw__port k;            /* binary, kernel byte order for addresses */
	int resv_fd;                  /* reservation socket, -1 if none (SCTP without the module) */
	void *bk;                     /* backend state (the userland proxy's listener) */
	bool mark;                    /* sync: wanted */
	/* an IPv4 "all addresses" port that no IPv6 mapping shares: its
	 * [::]:host_port side with the v4-mapped container address as target,
	 * so that ::1 and the host's IPv6 addresses reach the container from
	 * AF_INET6 sockets (Docker does so). Owned by this entry, not in the
	 * table, never in nft (NAT cannot cross families); NULL when the port
	 * has an IPv6 mapping or a host process holds [::]:port. */
	struct ports__entry *shadow;
	/* a shadow's relay listener in ebpf mode (TCP): IPv6 clients that the
	 * programs do not redirect (other hosts, containers) are relayed over
	 * IPv4, as Docker's proxy does; it owns the reservation fd then */
	struct ports__relay_listener *relay_l;
	struct ports__entry *next;    /* hash chain: same proto, family and host port */
};

/* How traffic that starts on the host reaches published ports. */
struct ports__backend_ops {
	const char *name;             /* "ebpf", "userland" */
	int (*open)(struct nd_ports *p, const struct nd_ports_config *cfg, struct nd_error *err);
	void (*close)(struct nd_ports *p);
	/* true: the reservation socket listens (TCP) and the backend takes it */
	bool listen;
	int (*add)(struct nd_ports *p, struct ports__entry *const *e, size_t n, struct nd_error *err);
	void (*del)(struct nd_ports *p, struct ports__entry *const *e, size_t n);
	/* makes the backend hold exactly these entries; repairs what is missing */
	int (*sync)(struct nd_ports *p, struct ports__entry *const *e, size_t n, struct nd_error *err);
	int (*refresh_addrs)(struct nd_ports *p, struct nd_error *err);
	int (*purge)(struct nd_ports *p, struct nd_error *err);
};

extern const struct ports__backend_ops ports__ebpf_ops;      /* NULL-able: see ports__ebpf_available */
extern const struct ports__backend_ops ports__userland_ops;
bool ports__ebpf_available(void);

/* The userland proxy's TCP relay (ports_relay.c): one per backend, on the loop. */
struct ports__relay;
int ports__relay_new(struct uv_loop_s *loop, struct ports__relay **out);
/* closes every relayed connection */
void ports__relay_free(struct ports__relay *r);
/* relays the accepted client cfd (taken, closed on failure) to `to` */
int ports__relay_start(struct ports__relay *r, int cfd, const struct sockaddr *to, socklen_t tolen);
/* accepts on the listening fd (taken on success, closed by unlisten) and relays to `to` */
struct ports__relay_listener;
int ports__relay_listen(struct ports__relay *r, int fd, const struct sockaddr *to, socklen_t tolen,
			struct ports__relay_listener **out);
void ports__relay_unlisten(struct ports__relay *r, struct ports__relay_listener *l);

#define PORTS_HASH_BUCKETS 4096

struct nd_ports {
	struct nd_fw *fw;
	const struct ports__backend_ops *ops;
	void *bk;                     /* backend handle */
	struct uv_loop_s *loop;
	char cgroup_path[256];
	char pin_dir[256];            /* the instance's folder: pin_base/<id16> with an owner */
	bool has_owner;               /* nd_ports_config.owner was given */
	char pin_base[256];           /* the shared pin path (has_owner) */
	char owner_id[72];
	char owner_exec_root[1024];
	char owner_legacy[256];       /* "" = none */
	struct ports__entry *buckets[PORTS_HASH_BUCKETS];
	size_t count;
	uint16_t pick_cursor;
	struct ports__addrwatch *aw;  /* NULL: no loop, or a backend without refresh_addrs */
	struct ports__relay *v6relay; /* ebpf mode: the shadows' relay (made on first use) */
};

/* canonical binary form of a mapping; validates */
int ports__canon(const struct nd_port_map *in, struct nd_port_map *out, struct fw__port *k, struct nd_error *err);
/* the reservation: a socket bound to the host port (listening when `listen`) */
int ports__reserve(const struct fw__port *k, bool listen, int *fd, struct nd_error *err);
/* ports_addrs.c: the addresses "all addresses" ports act for (IPv6
 * link-local ones left out), and a watch on p->loop that calls
 * refresh_addrs after RTM_NEWADDR/RTM_DELADDR of one */
struct ports__addr {
	uint32_t family;              /* AF_INET, AF_INET6 */
	uint8_t addr[16];
};
int ports__addrs_dump(struct ports__addr **out, size_t *n, struct nd_error *err);
int ports__addrwatch_start(struct nd_ports *p, struct nd_error *err);
void ports__addrwatch_stop(struct nd_ports *p);

/* ports_pins.c: owned instance folders (eBPF mode, has_owner): sweeps the
 * pin base, moves old-layout pins into the instance folder and (re)writes
 * its owner record; *owner_fd gets the nd_owner map (-1 without an owner). */
int ports__pins_prepare(struct nd_ports *p, int *owner_fd, struct nd_error *err);
/* re-pins nd_owner when someone removed it */
void ports__pins_repin_owner(struct nd_ports *p, int owner_fd);
