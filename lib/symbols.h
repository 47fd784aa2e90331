/* SPDX-License-Identifier: ISC */
/*
 * The link names of the library's internal functions and data.  The
 * static archive carries them as global symbols (its objects call each
 * other), so a daemon linking libportpool.a statically would collide
 * with a pp_* name of its own.  Each one is linked under the reserved
 * prefix __portpool_ instead, while the code keeps its short names.
 * test/check-symbols.sh (make check) fails when a global symbol of the
 * archive is neither portpool_* (the API) nor __portpool_*: a new
 * internal function is added here too.  Included by internal.h first.
 */
#ifndef PORTPOOL_SYMBOLS_H
#define PORTPOOL_SYMBOLS_H

#define pp_bitmap_count			__portpool_bitmap_count
#define pp_bitmap_fill			__portpool_bitmap_fill
#define pp_bitmap_remove_list		__portpool_bitmap_remove_list
#define pp_bitmap_select		__portpool_bitmap_select
#define pp_bitmap_zero			__portpool_bitmap_zero
#define pp_candidates_build		__portpool_candidates_build
#define pp_check_nofile			__portpool_check_nofile
#define pp_close_keep_errno		__portpool_close_keep_errno
#define pp_config_copy			__portpool_config_copy
#define pp_config_init			__portpool_config_init
#define pp_config_or_defaults		__portpool_config_or_defaults
#define pp_config_release		__portpool_config_release
#define pp_default_path			__portpool_default_path
#define pp_esc				__portpool_esc
#define pp_escape			__portpool_escape
#define pp_exclusions_free		__portpool_exclusions_free
#define pp_exclusions_load		__portpool_exclusions_load
#define pp_fail				__portpool_fail
#define pp_fail_null			__portpool_fail_null
#define pp_grouped			__portpool_grouped
#define pp_member_addr			__portpool_member_addr
#define pp_member_bind_failed		__portpool_member_bind_failed
#define pp_member_pmtu_failed		__portpool_member_pmtu_failed
#define pp_member_run_hook		__portpool_member_run_hook
#define pp_member_socket_failed		__portpool_member_socket_failed
#define pp_member_v6only_failed		__portpool_member_v6only_failed
#define pp_nofile_restore		__portpool_nofile_restore
#define pp_nofile_room			__portpool_nofile_room
#define pp_open_descriptors		__portpool_open_descriptors
#define pp_parse_port_list		__portpool_parse_port_list
#define pp_parse_port_range		__portpool_parse_port_range
#define pp_policy_add_file		__portpool_policy_add_file
#define pp_policy_dir			__portpool_policy_dir
#define pp_policy_free			__portpool_policy_free
#define pp_policy_load			__portpool_policy_load
#define pp_policy_parse			__portpool_policy_parse
#define pp_policy_read			__portpool_policy_read
#define pp_pool_bind_one		__portpool_pool_bind_one
#define pp_pool_check_index		__portpool_pool_check_index
#define pp_pool_close_fds		__portpool_pool_close_fds
#define pp_pool_draw			__portpool_pool_draw
#define pp_pool_free_of			__portpool_pool_free_of
#define pp_pool_free_set		__portpool_pool_free_set
#define pp_pool_rebuild_free		__portpool_pool_rebuild_free
#define pp_portlist_add			__portpool_portlist_add
#define pp_portlist_append		__portpool_portlist_append
#define pp_portlist_contains		__portpool_portlist_contains
#define pp_portlist_copy		__portpool_portlist_copy
#define pp_portlist_count		__portpool_portlist_count
#define pp_portlist_count_within	__portpool_portlist_count_within
#define pp_portlist_format		__portpool_portlist_format
#define pp_portlist_free		__portpool_portlist_free
#define pp_portlist_merge		__portpool_portlist_merge
#define pp_portlist_normalize		__portpool_portlist_normalize
#define pp_range_resolve		__portpool_range_resolve
#define pp_range_source_name		__portpool_range_source_name
#define pp_range_token			__portpool_range_token
#define pp_read_file			__portpool_read_file
#define pp_read_hostfile		__portpool_read_hostfile
#define pp_read_reserved_ports		__portpool_read_reserved_ports
#define pp_read_services		__portpool_read_services
#define pp_read_services_counted	__portpool_read_services_counted
#define pp_result_copy			__portpool_result_copy
#define pp_rng_free			__portpool_rng_free
#define pp_rng_new			__portpool_rng_new
#define pp_rng_uniform_slow		__portpool_rng_uniform_slow
#define pp_sources_load			__portpool_sources_load
#define pp_system_range			__portpool_system_range
#define pp_well_known			__portpool_well_known
#define pp_well_known_count		__portpool_well_known_count

#endif /* PORTPOOL_SYMBOLS_H */
