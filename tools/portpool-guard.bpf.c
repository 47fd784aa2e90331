// SPDX-License-Identifier: ISC
/*
 * portpool-guard: cgroup programs on bind4 and bind6 that refuse an
 * explicit UDP bind to a port of the host's deny set with EADDRINUSE.
 *
 * EADDRINUSE, not EPERM: on "address in use" Unbound, BIND 9, PowerDNS
 * Recursor and dnsmasq all draw another port and the query is answered;
 * on EPERM Unbound spends a retry with an error and dnsmasq answers some
 * queries REFUSED.  TCP is left alone (the reservations are about UDP
 * source ports), and so is port 0: the kernel picks that port itself and
 * already honours its own ip_local_reserved_ports there.
 *
 * A reservation belongs to a network namespace, as the kernel's own list
 * does: each namespace the guard was given has a deny set of its own
 * (a slot of "deny", found by the namespace's cookie in "netns"), and a
 * bind in any other namespace passes.  Cookies are never reused while
 * the system runs, so a namespace that went away is never mistaken for
 * a later one.  A denied port still passes for its owners: a cgroup
 * registered in "owners" for that port, and every cgroup below it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* From the C library's headers, which the BPF target cannot include. */
#define PP_SOCK_DGRAM	2
#define PP_IPPROTO_UDP	17
#define PP_EADDRINUSE	98

/* Kept in step with guard.h (NS_SLOTS, OWNER_LEVELS, struct ns_info). */
#define NS_SLOTS	64
#define OWNER_LEVELS	32
#define NS_PATH_MAX	256

/* Bit p is bit (p % 64) of word p / 64: one namespace's deny set, as one
 * value, so that user space replaces a whole set with one update. */
struct deny_set {
	__u64 word[1024];
};

/* Slot NS_SLOTS, past the namespaces', holds their union: a port in no
 * deny set (most binds) passes after one array lookup, as it did before
 * namespaces. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NS_SLOTS + 1);
	__type(key, __u32);
	__type(value, struct deny_set);
} deny SEC(".maps");

/* A namespace's cookie -> its slot in deny and nsinfo. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NS_SLOTS);
	__type(key, __u64);
	__type(value, __u32);
} netns SEC(".maps");

/* Per slot: what the slot is (user space's) and what the programs did
 * there (ours). */
struct ns_info {
	__u64 cookie;
	__u64 refused;		/* binds refused in the namespace */
	__u64 allowed;		/* denied ports an owner bound */
	__u32 flags;		/* user space's */
	__u32 ports;		/* the deny set's size */
	char path[NS_PATH_MAX];	/* as given; "" for a command's own */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NS_SLOTS);
	__type(key, __u32);
	__type(value, struct ns_info);
} nsinfo SEC(".maps");

/* {cgroup id, port} -> binds allowed so far. */
struct owner_key {
	__u64 cgroup;
	__u32 port;
	__u32 pad;
};

struct owner_val {
	__u64 allowed;
	__u32 flags;		/* user space's */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct owner_key);
	__type(value, struct owner_val);
} owners SEC(".maps");

/* Binds refused, per port: only the refusing path touches it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_MMAPABLE);	/* status reads it in place */
	__type(key, __u32);
	__type(value, __u64);
} refused SEC(".maps");

/* 1 if the binding process is in the subtree of an owner of port: its
 * own cgroup, then each ancestor from the root down. */
static __always_inline int owned(__u32 port)
{
	struct owner_key key = { .port = port };
	struct owner_val *val;

	/* Its own cgroup first: the one an owner most often is, and the
	 * one found whatever its depth. */
	key.cgroup = bpf_get_current_cgroup_id();
	val = bpf_map_lookup_elem(&owners, &key);
	for (int level = 0; !val && level < OWNER_LEVELS; level++) {
		key.cgroup = bpf_get_current_ancestor_cgroup_id(level);
		if (!key.cgroup)	/* below the process's own level */
			break;
		val = bpf_map_lookup_elem(&owners, &key);
	}
	if (!val)
		return 0;
	__sync_fetch_and_add(&val->allowed, 1);
	return 1;
}

static __always_inline int check(struct bpf_sock_addr *ctx)
{
	struct deny_set *set;
	struct ns_info *info;
	__u64 cookie, *count;
	__u32 port, *slot, all = NS_SLOTS;

	if (ctx->type != PP_SOCK_DGRAM || ctx->protocol != PP_IPPROTO_UDP)
		return 1;
	port = bpf_ntohs((__u16)ctx->user_port);
	if (port == 0)
		return 1;
	set = bpf_map_lookup_elem(&deny, &all);
	if (!set || !(set->word[(port >> 6) & 1023] & (1ULL << (port & 63))))
		return 1;
	cookie = bpf_get_netns_cookie(ctx);
	slot = bpf_map_lookup_elem(&netns, &cookie);
	if (!slot)
		return 1;
	set = bpf_map_lookup_elem(&deny, slot);
	if (!set || !(set->word[(port >> 6) & 1023] & (1ULL << (port & 63))))
		return 1;
	info = bpf_map_lookup_elem(&nsinfo, slot);
	if (owned(port)) {
		if (info)
			__sync_fetch_and_add(&info->allowed, 1);
		return 1;
	}
	if (info)
		__sync_fetch_and_add(&info->refused, 1);
	count = bpf_map_lookup_elem(&refused, &port);
	if (count)
		__sync_fetch_and_add(count, 1);
	bpf_set_retval(-PP_EADDRINUSE);
	return 0;
}

SEC("cgroup/bind4")
int guard_bind4(struct bpf_sock_addr *ctx)
{
	return check(ctx);
}

SEC("cgroup/bind6")
int guard_bind6(struct bpf_sock_addr *ctx)
{
	return check(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
