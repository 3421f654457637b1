# Blocking TICKET.NEXT ... BLOCK ms, with the framework's deferring clients.
# Each test uses its own desk so that no ticket of another test can serve a
# waiter. Run by tcl-tests/run; [list ...] so that $::env(...) is expanded.
set helpdesk_so $::env(HELPDESK_SO)

proc blk_waiters {} {
    getInfoProperty [r info helpdesk] helpdesk_blocked_next_waiters
}

# Opens a deferring client, sends TICKET.NEXT ... BLOCK and waits until the
# server counts $expect blocked clients.
proc blk_block {desk aid ms expect} {
    set rd [redis_deferring_client]
    $rd ticket.next $desk $aid BLOCK $ms
    wait_for_blocked_clients_count $expect
    return $rd
}

start_server [list tags {"helpdesk blocking"} overrides [list loadmodule $helpdesk_so]] {
    test {blocked TICKET.NEXT is woken by TICKET.CREATE and gets the ticket} {
        r agent.create b1 A1 Ann SKILLS billing
        set rd [blk_block b1 A1 0 1]
        assert_equal 1 [blk_waiters]
        set tid [r ticket.create b1 "Refund please" PRIORITY 10 CATEGORY billing]
        set got [$rd read]
        $rd close
        assert_equal $tid [dict get $got id]
        assert_equal A1 [dict get $got assigned_agent]
        assert_equal billing [dict get $got category]
        # The assignment is real, not just in the reply.
        assert_equal A1 [dict get [r ticket.get b1 $tid] assigned_agent]
        assert_equal 1 [dict get [r agent.get b1 A1] load]
        assert_equal [list $tid] [dict get [r agent.get b1 A1] open_tickets]
        assert_equal {} [r ticket.peek b1 UNASSIGNED]
        assert_equal 0 [s blocked_clients]
        assert_equal 0 [blk_waiters]
        assert_equal {} [r desk.check b1]
    }

    test {blocked TICKET.NEXT is woken by TICKET.REOPEN} {
        r agent.create b2 A1 Ann SKILLS technical
        set tid [r ticket.create b2 "VPN down" PRIORITY 5 CATEGORY technical]
        assert_equal OK [r ticket.close b2 $tid RESOLUTION "rebooted"]
        set rd [blk_block b2 A1 0 1]
        assert_equal OK [r ticket.reopen b2 $tid]
        set got [$rd read]
        $rd close
        assert_equal $tid [dict get $got id]
        assert_equal A1 [dict get $got assigned_agent]
        assert_equal open [dict get $got status]
        assert_equal 0 [blk_waiters]
        assert_equal {} [r desk.check b2]
    }

    test {TICKET.NEXT BLOCK times out with nil and leaves nothing behind} {
        r agent.create b3 A1 Ann SKILLS billing
        set rd [blk_block b3 A1 50 1]
        assert_equal {} [$rd read]
        $rd close
        assert_equal 0 [s blocked_clients]
        assert_equal 0 [blk_waiters]
        assert_equal 0 [dict get [r agent.get b3 A1] load]
        # No waiter left: a new ticket stays unassigned.
        set tid [r ticket.create b3 "Late" PRIORITY 5 CATEGORY billing]
        assert_equal {} [dict get [r ticket.get b3 $tid] assigned_agent]
    }

    test {three waiters are served first come, first served} {
        foreach a {A1 A2 A3} { r agent.create b4 $a "Agent $a" SKILLS shipping }
        set rd1 [blk_block b4 A2 0 1]
        set rd2 [blk_block b4 A3 0 2]
        set rd3 [blk_block b4 A1 0 3]
        assert_equal 3 [blk_waiters]
        set t1 [r ticket.create b4 "Parcel 1" PRIORITY 5 CATEGORY shipping]
        # Only the first waiter was served; the others still wait.
        assert_equal 2 [s blocked_clients]
        set t2 [r ticket.create b4 "Parcel 2" PRIORITY 5 CATEGORY shipping]
        assert_equal 1 [s blocked_clients]
        set t3 [r ticket.create b4 "Parcel 3" PRIORITY 5 CATEGORY shipping]
        set g1 [$rd1 read]
        set g2 [$rd2 read]
        set g3 [$rd3 read]
        foreach rd [list $rd1 $rd2 $rd3] { $rd close }
        assert_equal [list $t1 A2] [list [dict get $g1 id] [dict get $g1 assigned_agent]]
        assert_equal [list $t2 A3] [list [dict get $g2 id] [dict get $g2 assigned_agent]]
        assert_equal [list $t3 A1] [list [dict get $g3 id] [dict get $g3 assigned_agent]]
        assert_equal 0 [blk_waiters]
        assert_equal {} [r desk.check b4]
    }

    test {a waiter is not woken by a ticket of a category it does not serve} {
        r agent.create b5 L1 Lee SKILLS legal
        set rd [blk_block b5 L1 0 1]
        set other [r ticket.create b5 "Invoice wrong" PRIORITY 20 CATEGORY billing]
        # Wake-ups run before the next command is read: none happened.
        assert_equal 1 [s blocked_clients]
        assert_equal 1 [blk_waiters]
        assert_equal {} [dict get [r ticket.get b5 $other] assigned_agent]
        # It still waits and is served by the next fitting ticket.
        set tid [r ticket.create b5 "Contract question" PRIORITY 1 CATEGORY legal]
        set got [$rd read]
        $rd close
        assert_equal $tid [dict get $got id]
        assert_equal L1 [dict get $got assigned_agent]
        assert_equal {} [dict get [r ticket.get b5 $other] assigned_agent]
        assert_equal {} [r desk.check b5]
    }

    test {a general ticket wakes a waiter of any skill} {
        r agent.create b6 L1 Lee SKILLS legal
        set rd [blk_block b6 L1 0 1]
        set tid [r ticket.create b6 "Hello" PRIORITY 5 CATEGORY general]
        set got [$rd read]
        $rd close
        assert_equal $tid [dict get $got id]
        assert_equal L1 [dict get $got assigned_agent]
    }

    test {a waiter gets a ticket created with ROUTE before push routing} {
        # W2 is the better push target (less assigned so far), but a blocked
        # TICKET.NEXT caller takes the ticket first.
        r agent.create b7 W1 Wes SKILLS billing
        r agent.create b7 W2 Val SKILLS billing
        set pre [r ticket.create b7 "First" PRIORITY 5 CATEGORY billing]
        assert_equal $pre [dict get [r ticket.next b7 W1] id]
        set rd [blk_block b7 W1 0 1]
        set tid [r ticket.create b7 "Second" PRIORITY 5 CATEGORY billing ROUTE]
        set got [$rd read]
        $rd close
        assert_equal $tid [dict get $got id]
        assert_equal W1 [dict get [r ticket.get b7 $tid] assigned_agent]
        assert_equal 0 [dict get [r agent.get b7 W2] load]
        assert_equal {} [r desk.check b7]
    }

    test {tickets returned to the queue wake waiters: UNASSIGN, RELEASE, category UPDATE} {
        r agent.create b13 A1 Ann SKILLS billing
        r agent.create b13 H1 Hal SKILLS billing returns
        r agent.create b13 S1 Sue SKILLS shipping
        set t1 [r ticket.create b13 "One" PRIORITY 5 CATEGORY billing]
        set t2 [r ticket.create b13 "Two" PRIORITY 5 CATEGORY billing]
        set t3 [r ticket.create b13 "Three" PRIORITY 5 CATEGORY returns]
        assert_equal [list $t1 $t2 $t3] [r ticket.claim b13 H1]
        # UNASSIGN puts t1 back in the billing queue.
        set rd [blk_block b13 A1 0 1]
        assert_equal OK [r ticket.unassign b13 $t1]
        assert_equal $t1 [dict get [$rd read] id]
        $rd close
        # RELEASE gives H1's remaining tickets back; A1 takes the billing one.
        set rd [blk_block b13 A1 0 1]
        assert_equal OK [r agent.availability b13 H1 away RELEASE]
        set got [$rd read]
        $rd close
        assert_equal $t2 [dict get $got id]
        assert_equal A1 [dict get [r ticket.get b13 $t2] assigned_agent]
        assert_equal {} [dict get [r ticket.get b13 $t3] assigned_agent]
        # Moving the unassigned returns ticket to shipping wakes S1.
        set rd [blk_block b13 S1 0 1]
        set v [dict get [r ticket.get b13 $t3] version]
        assert_equal [expr {$v + 1}] [r ticket.update b13 $t3 category shipping]
        set got [$rd read]
        $rd close
        assert_equal $t3 [dict get $got id]
        assert_equal S1 [dict get $got assigned_agent]
        assert_equal 0 [blk_waiters]
        assert_equal {} [r desk.check b13]
    }

    test {a ticket taken in the same transaction leaves the waiter blocked} {
        r agent.create b14 A1 Ann SKILLS billing
        r agent.create b14 A2 Bea SKILLS billing
        set rd [blk_block b14 A1 0 1]
        r multi
        r ticket.create b14 "Taken at once" PRIORITY 5 CATEGORY billing
        r ticket.claim b14 A2
        set res [r exec]
        set tid [lindex $res 0]
        assert_equal [list $tid] [lindex $res 1]
        # The queue was signalled, but nothing was left for A1.
        assert_equal 1 [s blocked_clients]
        assert_equal 1 [blk_waiters]
        assert_equal A2 [dict get [r ticket.get b14 $tid] assigned_agent]
        set t2 [r ticket.create b14 "Next one" PRIORITY 5 CATEGORY billing]
        assert_equal $t2 [dict get [$rd read] id]
        $rd close
        assert_equal {} [r desk.check b14]
    }

    test {a disconnected waiter is cleaned up} {
        r agent.create b8 A1 Ann SKILLS billing
        set rd [blk_block b8 A1 0 1]
        assert_equal 1 [blk_waiters]
        $rd close
        wait_for_condition 100 20 {
            [s blocked_clients] == 0 && [blk_waiters] == 0
        } else {
            fail "waiter not cleaned up: [s blocked_clients] blocked clients, [blk_waiters] waiters"
        }
        # Nobody waits any more: a ticket created with ROUTE is pushed to the
        # agent instead of being kept in the queue for a gone waiter.
        set tid [r ticket.create b8 "Routed" PRIORITY 5 CATEGORY billing ROUTE]
        assert_equal A1 [dict get [r ticket.get b8 $tid] assigned_agent]
        assert_equal {} [r desk.check b8]
    }

    test {TICKET.NEXT BLOCK 0 inside MULTI returns nil at once} {
        r agent.create b9 A1 Ann SKILLS billing
        r multi
        r ticket.next b9 A1 BLOCK 0
        r ticket.next b9 A1 BLOCK 100
        set res [r exec]
        assert_equal 2 [llength $res]
        assert_equal {} [lindex $res 0]
        assert_equal {} [lindex $res 1]
        assert_equal 0 [s blocked_clients]
        assert_equal 0 [blk_waiters]
        # Nothing was left registered: a ROUTE ticket is pushed normally.
        set tid [r ticket.create b9 "After multi" PRIORITY 5 CATEGORY billing ROUTE]
        assert_equal A1 [dict get [r ticket.get b9 $tid] assigned_agent]
    }

    test {TICKET.NEXT BLOCK from a script returns nil at once} {
        r agent.create b10 A1 Ann SKILLS billing
        assert_equal {} [r eval {return redis.call('ticket.next', KEYS[1], 'A1', 'BLOCK', '0')} 1 b10]
        assert_equal 0 [s blocked_clients]
        assert_equal 0 [blk_waiters]
    }

    test {a waiter taken offline while blocked gets UNAVAILABLE and the ticket stays queued} {
        r agent.create b11 A1 Ann SKILLS billing
        set rd [blk_block b11 A1 0 1]
        assert_equal OK [r agent.availability b11 A1 offline]
        set tid [r ticket.create b11 "Nobody home" PRIORITY 5 CATEGORY billing]
        catch {$rd read} err
        $rd close
        assert_match {UNAVAILABLE*} $err
        assert_equal {} [dict get [r ticket.get b11 $tid] assigned_agent]
        assert_equal 0 [blk_waiters]
        assert_equal {} [r desk.check b11]
    }

    test {TICKET.NEXT BLOCK argument errors} {
        r agent.create b12 A1 Ann SKILLS billing
        assert_error {INVALID*} {r ticket.next b12 A1 BLOCK -1}
        assert_error {INVALID*} {r ticket.next b12 A1 BLOCK soon}
        assert_error {ERR*} {r ticket.next b12 A1 WAIT 10}
        assert_error {NOTFOUND*} {r ticket.next b12 nobody BLOCK 0}
        assert_equal 0 [s blocked_clients]
    }
}
