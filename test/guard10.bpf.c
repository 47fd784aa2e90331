// SPDX-License-Identifier: ISC
/*
 * The BPF programs of portpool-guard 1.0 (tools/portpool-guard.bpf.c as
 * 1.0 shipped it, its code unchanged), kept for test/upgrade-e2e.sh:
 * it loads them with bpftool and pins them as the 1.0 tool did (bind4,
 * bind6, deny, refused), so that a release tarball, which has no git
 * history, still tests that load takes a 1.0 guard over.  Not built by
 * make, not installed.
 *
 * 1.0's own comment follows.
 */
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
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* From the C library's headers, which the BPF target cannot include. */
#define PP_SOCK_DGRAM	2
#define PP_IPPROTO_UDP	17
#define PP_EADDRINUSE	98

/* Bit p is bit (p % 64) of word p / 64: the deny set, as one value, so
 * that user space replaces the whole set with one update. */
struct deny_set {
	__u64 word[1024];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct deny_set);
} deny SEC(".maps");

/* Binds refused, per port: only the refusing path touches it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_MMAPABLE);	/* status reads it in place */
	__type(key, __u32);
	__type(value, __u64);
} refused SEC(".maps");

static __always_inline int check(struct bpf_sock_addr *ctx)
{
	struct deny_set *set;
	__u32 zero = 0, port;
	__u64 *count;

	if (ctx->type != PP_SOCK_DGRAM || ctx->protocol != PP_IPPROTO_UDP)
		return 1;
	port = bpf_ntohs((__u16)ctx->user_port);
	if (port == 0)
		return 1;
	set = bpf_map_lookup_elem(&deny, &zero);
	if (!set || !(set->word[(port >> 6) & 1023] & (1ULL << (port & 63))))
		return 1;
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
