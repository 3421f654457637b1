# Propagation: the effects layer does not build replication while nothing
# can receive it (AOF off, never a replica, no replicas, no backlog), and
# starts building it as soon as something could: a replica attaching at
# runtime (SYNC/PSYNC), CONFIG SET appendonly yes, a role change (REPLICAOF
# NO ONE, FAILOVER), MODULE LOAD on a master that already has a replica, a
# restart from an RDB that carries replication info. Each case ends with
# equal DEBUG DIGESTs and a clean DESK.CHECK. INFO helpdesk shows the state
# (helpdesk_replication_listening, helpdesk_effects_unreplicated), and
# server.dirty still grows with every write while nothing is replicated.
# The SLA timer is slowed down so nothing writes behind the digests' back.
# Run by tcl-tests/run; [list ...] so that $::env(...) is expanded.
set helpdesk_so $::env(HELPDESK_SO)

source tests/helpdesk/lib/workload.tcl

# Effects mode: what is built for replication, or not, is the effects.
set pr_module [list loadmodule $helpdesk_so helpdesk.sla-timer-ms 3600000 \
                   helpdesk.replication effects]

# A field of INFO helpdesk (Redis prefixes it with the module name).
proc pr_info {c field} {
    if {[regexp "\r\nhelpdesk_$field:(\[0-9\]+)" [$c info helpdesk] -> v]} { return $v }
    fail "INFO helpdesk has no helpdesk_$field"
}

# Replica $r caught up with master $m: same digest, and DESK.CHECK finds
# nothing on either for each desk.
proc pr_same {m r desks} {
    wait_for_ofs_sync $m $r
    assert_equal [$m debug digest] [$r debug digest]
    foreach d $desks {
        assert_equal {} [hd_desk_check $m $d]
        assert_equal {} [hd_desk_check $r $d]
    }
}

# Server $c reports role $role.
proc pr_wait_role {c role} {
    wait_for_condition 100 100 {
        [status $c role] eq $role
    } else {
        fail "server did not become $role"
    }
}

start_server [list tags {"helpdesk propagation"} overrides $pr_module] {
    start_server [list overrides $pr_module] {
        set a [srv -1 client]      ;# standalone master, later a replica
        set b [srv 0 client]       ;# a fresh server, later the master
        set a_host [srv -1 host]
        set a_port [srv -1 port]
        set b_host [srv 0 host]
        set b_port [srv 0 port]

        test {propagation: a standalone server builds no replication, INFO says so} {
            assert_equal 0 [pr_info $a replication_listening]
            assert_equal 0 [pr_info $a effects_unreplicated]
            lassign [hd_random_workload $a pa1 7 300] ok refused
            assert {$ok > 100}
            assert_equal 0 [pr_info $a replication_listening]
            assert {[pr_info $a effects_unreplicated] > $ok}
            assert_equal 0 [status $a repl_backlog_active]
        }

        test {propagation: server.dirty grows with module writes nobody replicates} {
            set dirty0 [status $a rdb_changes_since_last_save]
            set skipped0 [pr_info $a effects_unreplicated]
            $a ticket.create pa1 "Printer on fire" BODY "smoke" PRIORITY 10 CATEGORY billing
            set skipped [expr {[pr_info $a effects_unreplicated] - $skipped0}]
            set dirty [expr {[status $a rdb_changes_since_last_save] - $dirty0}]
            assert {$skipped >= 5}
            # One per effect, as RedisModule_Replicate counted; SADD through
            # RedisModule_Call counts its own.
            assert {$dirty >= $skipped}
            # A save point fires on those changes.
            $a config set save "1 1"
            wait_for_condition 100 100 {
                [status $a rdb_changes_since_last_save] == 0
            } else {
                fail "the save point did not fire on module writes"
            }
            $a config set save ""
            assert_equal 0 [pr_info $a replication_listening]
        }

        test {propagation: a replica attaching at runtime gets writes made during and after its sync} {
            # $b writes first, so its one look at the server's state is spent
            # while it is a standalone master: its promotion below is then
            # seen only through the role change.
            $b ticket.create pbx "before it was a replica" PRIORITY 20 CATEGORY billing
            assert_equal 0 [pr_info $b replication_listening]
            # The full sync waits 2 s before it forks: writes land in that window.
            $a config set repl-diskless-sync yes
            $a config set repl-diskless-sync-delay 2
            $b replicaof $a_host $a_port
            set during 0
            set n 0
            while {![string match {*master_link_status:up*} [$b info replication]]} {
                $a ticket.create pa2 "during sync $n" PRIORITY 20 CATEGORY billing
                if {[pr_info $a replication_listening]} { incr during }
                incr n
                if {$n > 20000} { fail "replica did not finish its sync" }
            }
            assert {$during > 0}
            assert_equal 1 [pr_info $a replication_listening]
            lassign [hd_random_workload $a pa3 11 300] ok refused
            assert {$ok > 100}
            pr_same $a $b {pa1 pa2 pa3}
            # Its effects now replicate: the counter stopped.
            set skipped [pr_info $a effects_unreplicated]
            $a ticket.create pa3 "after sync" PRIORITY 20 CATEGORY billing
            assert_equal $skipped [pr_info $a effects_unreplicated]
            pr_same $a $b {pa3}
            $a config set repl-diskless-sync-delay 0
        }

        test {propagation: REPLICAOF NO ONE, writes, the old master re-attaches} {
            $b replicaof no one
            pr_wait_role $b master
            lassign [hd_random_workload $b pb1 13 300] ok refused
            assert {$ok > 100}
            $a replicaof $b_host $b_port
            hd_wait_link_up $a
            $b ticket.create pb1 "after re-attach" PRIORITY 20 CATEGORY billing
            pr_same $b $a {pa1 pa2 pa3 pb1}
            assert_equal 1 [pr_info $b replication_listening]
        }

        test {propagation: FAILOVER, writes, the old master follows the new one} {
            wait_replica_online $b
            $b failover
            pr_wait_role $a master
            pr_wait_role $b slave
            hd_wait_link_up $b
            lassign [hd_random_workload $a pf1 17 300] ok refused
            assert {$ok > 100}
            pr_same $a $b {pa1 pa2 pa3 pb1 pf1}
        }
    }
}

start_server [list tags {"helpdesk propagation"} overrides $pr_module] {
    set c [srv 0 client]

    test {propagation: CONFIG SET appendonly yes at runtime, writes during the rewrite, reload from the AOF} {
        lassign [hd_random_workload $c pc1 19 300] ok refused
        assert {$ok > 100}
        assert_equal 0 [pr_info $c replication_listening]
        # In one transaction: the CREATE runs while the rewrite has only
        # started (AOF_WAIT_REWRITE), so it must already reach the AOF.
        $c multi
        $c config set appendonly yes
        $c ticket.create pc2 "same transaction" PRIORITY 20 CATEGORY billing
        $c exec
        # Writes while the rewrite child runs (slowed down to 1 ms a key)
        # go only to the AOF buffer.
        $c config set rdb-key-save-delay 1000
        wait_for_condition 100 100 {
            [status $c aof_rewrite_in_progress] == 1
        } else {
            fail "the AOF rewrite did not start"
        }
        set during 0
        while {[status $c aof_rewrite_in_progress] == 1} {
            $c ticket.create pc2 "during rewrite $during" PRIORITY 20 CATEGORY billing
            incr during
            if {$during > 20000} { fail "the AOF rewrite did not finish" }
        }
        assert {$during > 0}
        $c config set rdb-key-save-delay 0
        wait_for_condition 100 100 {
            [status $c aof_rewrite_in_progress] == 0 &&
            [status $c aof_rewrite_scheduled] == 0
        } else {
            fail "the AOF rewrite did not finish"
        }
        lassign [hd_random_workload $c pc3 29 200] ok refused
        set digest [$c debug digest]
        $c debug loadaof
        assert_equal $digest [$c debug digest]
        assert_equal 1 [pr_info $c replication_listening]
        foreach d {pc1 pc2 pc3} { assert_equal {} [$c desk.check $d] }
        # And from a restart: the config file is rewritten with appendonly yes.
        $c config rewrite
        restart_server 0 true false
        set c [srv 0 client]
        assert_equal yes [lindex [$c config get appendonly] 1]
        assert_equal $digest [$c debug digest]
        foreach d {pc1 pc2 pc3} { assert_equal {} [$c desk.check $d] }
    }
}

start_server [list tags {"helpdesk propagation"}] {
    start_server [list overrides $pr_module] {
        set m [srv -1 client]      ;# starts without the module
        set r [srv 0 client]
        $r replicaof [srv -1 host] [srv -1 port]
        hd_wait_link_up $r

        test {propagation: MODULE LOAD on a master that already has a replica} {
            wait_replica_online $m
            $m module load $helpdesk_so sla-timer-ms 3600000
            assert_equal 1 [pr_info $m replication_listening]
            lassign [hd_random_workload $m pm1 31 300] ok refused
            assert {$ok > 100}
            assert_equal 0 [pr_info $m effects_unreplicated]
            pr_same $m $r {pm1}
        }
    }
}

start_server [list tags {"helpdesk propagation"} overrides $pr_module] {
    start_server [list overrides $pr_module] {
        set m [srv -1 client]
        set r [srv 0 client]
        set m_host [srv -1 host]
        set m_port [srv -1 port]
        $r replicaof $m_host $m_port
        hd_wait_link_up $r

        test {propagation: a master restarted from an RDB with replication info replicates} {
            lassign [hd_random_workload $m pr1 37 200] ok refused
            pr_same $m $r {pr1}
            # The replica turns to a master that is not there, keeping its
            # place in $m's stream; $m saves that place with its data.
            $r replicaof 127.0.0.1 1
            $m save
            restart_server -1 true false
            set m [srv -1 client]
            # loadDataFromDisk gave the backlog back after the module loaded;
            # this write, before the replica is back, must go into it.
            assert_equal 1 [status $m repl_backlog_active]
            $m ticket.create pr1 "after restart" PRIORITY 20 CATEGORY billing
            $r replicaof $m_host $m_port
            hd_wait_link_up $r
            # It continued from the backlog (a partial resync).
            assert_equal 1 [status $m sync_partial_ok]
            lassign [hd_random_workload $m pr2 41 200] ok refused
            pr_same $m $r {pr1 pr2}
            assert_equal 1 [pr_info $m replication_listening]
            assert_equal 0 [pr_info $m effects_unreplicated]
        }
    }
}

# A second way to attach at runtime: on Valkey its dual-channel sync (the
# RDB channel sends SYNC, the main channel PSYNC), on Redis a disk-based
# sync (BGSAVE to a file, then the transfer).
start_server [list tags {"helpdesk propagation"} overrides $pr_module] {
    start_server [list overrides $pr_module] {
        set m [srv -1 client]
        set r [srv 0 client]
        set valkey [expr {[status $m server_name] eq "valkey"}]

        test {propagation: a replica attaching by dual-channel (Valkey) or disk-based (Redis) sync} {
            lassign [hd_random_workload $m pd1 43 300] ok refused
            assert_equal 0 [pr_info $m replication_listening]
            if {$valkey} {
                foreach c [list $m $r] { $c config set dual-channel-replication-enabled yes }
                $m config set repl-diskless-sync yes
            } else {
                $m config set repl-diskless-sync no
            }
            # The snapshot is slowed down (1 ms a key): writes land during it.
            $m config set rdb-key-save-delay 1000
            $r replicaof [srv -1 host] [srv -1 port]
            wait_for_condition 100 100 {
                [pr_info $m replication_listening] == 1
            } else {
                fail "the replica's sync was not seen"
            }
            set during 0
            while {![string match {*master_link_status:up*} [$r info replication]]} {
                $m ticket.create pd2 "during sync $during" PRIORITY 20 CATEGORY billing
                incr during
                if {$during > 20000} { fail "replica did not finish its sync" }
                if {$during == 50} { $m config set rdb-key-save-delay 0 }
            }
            assert {$during > 0}
            lassign [hd_random_workload $m pd3 47 200] ok refused
            pr_same $m $r {pd1 pd2 pd3}
        }
    }
}
