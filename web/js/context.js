// What every view may read: who is signed in, which agent the console acts
// as, the desk's agents, and the toast function. Filled in by app.js.

export const ctx = {
    user: null,       // the signed-in ACL user, null when acting as the gateway's user
    agentId: null,    // the agent whose tickets "My tickets" shows
    agents: [],       // last GET /agents
    toast: () => {},
    describe: e => String(e),
    // Agents land on their tickets, everyone else on the dashboard.
    home() { return this.user && this.agentId === this.user ? 'mine' : 'dashboard'; },
    // The sender of replies: the acting agent (an agent reply, SPEC section 11).
    sender() { return this.agentId || this.user || 'default'; },
};
