# Smoke suite for Redis's own Tcl test framework (run by tcl-tests/run).
# Note the [list ...] form: inside {braces} $::env(...) would not be expanded.
set helpdesk_so $::env(HELPDESK_SO)

start_server [list tags {"helpdesk"} overrides [list loadmodule $helpdesk_so]] {
    test {module is loaded} {
        set names {}
        foreach mod [r module list] {
            lappend names [dict get $mod name]
        }
        if {"helpdesk" ni $names} {
            fail "helpdesk not in MODULE LIST: $names"
        }
    }

    # A second server nested inside the first: srv 0 is the replica,
    # srv -1 the master. Module suites will do the same with module commands.
    start_server [list overrides [list loadmodule $helpdesk_so]] {
        set master [srv -1 client]
        set replica [srv 0 client]

        test {replica of a module-loaded master syncs and matches its digest} {
            $replica replicaof [srv -1 host] [srv -1 port]
            wait_for_condition 100 100 {
                [string match {*master_link_status:up*} [$replica info replication]]
            } else {
                fail "replica did not connect to master"
            }
            $master set foo bar
            wait_for_ofs_sync $master $replica
            assert_equal bar [$replica get foo]
            assert_equal [$master debug digest] [$replica debug digest]
        }
    }
}
