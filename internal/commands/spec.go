package commands

// subcommands is the table: every subcommand, in the order help lists
// them. See spec for what each field means, and the package comment for
// how to add a subcommand or a flag.
var subcommands = []*spec{killSpec, killAllSpec, clientsSpec, nodesSpec, statusSpec, cancelSpec, pendingSpec, historySpec, helpSpec}

// Kill asks to kill Redis client sessions: those at Addrs and those the
// selectors choose, on one node (Node) or on every node (AllNodes). With
// neither a node nor anything to choose by, it asks for the picker: a
// dialog that lists the sessions to pick from (see Picker).
type Kill struct {
	Instance string  // alias or instance ID, as typed (lowercased); existence is checked elsewhere
	Node     NodeRef // zero with AllNodes, and for the picker
	AllNodes bool    // every node that holds sessions; only with selectors, never with Addrs
	// Addrs are canonical ip:port, duplicates folded, order of first
	// appearance kept; never the node's own address. With Select they are
	// requested too (the union).
	Addrs  []string
	Select Selectors // zero when no selector was given
	Reason string    // "" when not given; else 1 to MaxReasonLen characters of plain text (see the package comment)
}

// Name returns "kill".
func (Kill) Name() string { return "kill" }

// Picker reports whether k names only the instance (and perhaps a reason):
// the sessions are to be picked from a list.
func (k Kill) Picker() bool {
	return k.Node.IsZero() && !k.AllNodes && len(k.Addrs) == 0 && k.Select.IsZero()
}

var killSpec = &spec{
	name: "kill",
	help: "Asks to close Redis client connections on a DCS instance: those at each <addr> on one node, and those the selectors choose " +
		"(on one node, or with --all-nodes on every node that holds sessions). " + approvalNote + " " +
		"The bot reads the sessions when you ask and shows the approvers each one chosen; only those can be killed. " +
		"With only the instance, a dialog lists the sessions to pick from.\n" +
		instanceHelp + nodeHelp + addrHelp +
		"• --all-nodes: instead of <node>, every node that holds sessions (the proxies of a Proxy Cluster); only with selectors\n" +
		selectorsHelp +
		"Selectors combine (all must match); addresses given as well are added. At least one address or selector is needed.\n" +
		reasonHelp + flagsNote,
	examples: []string{
		"kill orders-prod " + exampleNode + " 10.0.0.5:52114 10.0.0.6:40022",
		"kill orders-prod #0 10.0.0.5:52114 --reason \"stuck batch job\"",
		"kill orders-prod #0 --name billing --idle-over 10m",
		"kill orders-prod --all-nodes --ip 10.0.3. --cmd keys --reason \"KEYS storm\"",
		"kill orders-prod",
	},
	usageExample: "kill orders-prod " + exampleNode + " 10.0.0.5:52114 10.0.0.6:40022",
	takes:        "takes the instance, a node and client addresses",
	args:         []argSpec{instanceArg(false), killNodeArg(allNodesFlag), clientAddrsArg()},
	flags:        []*flagSpec{allNodesFlag, nameFlag, ipFlag, cmdFlag, idleOverFlag, reasonFlag},
	build: func(v parsed) (Command, error) {
		return Kill{Instance: v.str("instance"), Node: v.node("node"), AllNodes: v.on(allNodesFlag.name), Addrs: v.strs("addr"),
			Select: v.selectors(), Reason: v.str(reasonFlag.name)}, nil
	},
}

// KillAll asks to kill every client session on one node (Node set) or on
// every node of the instance (AllNodes true); exactly one of the two.
type KillAll struct {
	Instance string
	Node     NodeRef
	AllNodes bool
	Reason   string // as in Kill
}

// Name returns "kill-all".
func (KillAll) Name() string { return "kill-all" }

var killAllSpec = &spec{
	name: "kill-all",
	help: "Asks to close every client connection on one node (give <node>) or on every node of the instance " +
		"(give --all-nodes instead); exactly one of the two. " + approvalNote + "\n" +
		instanceHelp + nodeHelp + reasonHelp + flagsNote,
	examples: []string{
		"kill-all orders-prod 10.0.1.12:6379 --reason \"connection leak\"",
		"kill-all orders-prod --all-nodes --reason 'failover drill'",
	},
	usageExample: "kill-all orders-prod --all-nodes --reason \"failover drill\"",
	takes:        "takes the instance and one node",
	args:         []argSpec{instanceArg(false), nodeOrAllArg(allNodesFlag)},
	flags:        []*flagSpec{allNodesFlag, reasonFlag},
	build: func(v parsed) (Command, error) {
		return KillAll{Instance: v.str("instance"), Node: v.node("node"), AllNodes: v.on(allNodesFlag.name), Reason: v.str(reasonFlag.name)}, nil
	},
}

// Clients asks to list client sessions: on Node, or on every node when Node
// is zero; only those matching Filter (when it is not "") and the
// selectors.
type Clients struct {
	Instance string
	Node     NodeRef
	// Filter is "" (no filter), the start of a client address (lowercased;
	// see FilterIsAddrPrefix) or part of a client name (as typed).
	Filter string
	Sort   string    // "idle" (the default) or "age"
	Select Selectors // as in Kill; zero when none was given
}

// Name returns "clients".
func (Clients) Name() string { return "clients" }

// FilterIsAddrPrefix reports whether Filter is matched against the start of
// each client's address (it starts with a digit or `[` and holds only hex
// digits, `.`, `:`, `[` and `]`) rather than as a substring of the client's
// name. It is false when Filter is "".
func (c Clients) FilterIsAddrPrefix() bool { return filterKind(c.Filter) == filterAddr }

var clientsSpec = &spec{
	name: "clients",
	help: "Lists the client connections on one node (the node can be left out when the instance has only one session node), idlest first " +
		"(--sort age: oldest first). Under the list, the `/dcs kill` command that would ask to kill the sessions shown, to copy.\n" +
		instanceHelp + nodeHelp +
		"• <filter>: shows only some clients. One that starts with a digit or `[` and holds only hex digits, `.`, `:`, `[` and `]` " +
		"matches the start of the client address (`10.0.3.`); any other (letters, digits, `.`, `_`, `:` and `-`, at most 64) " +
		"matches part of the client name (`worker`).\n" +
		"With two arguments after <instance>, the first is the node and the second the filter. " +
		"With one, it is the node when it is a node ID, a full ip:port, or a number (`3` or `#3`), and a filter otherwise: " +
		"to filter by a full client address or a bare number, give the node first.\n" +
		selectorsHelp + "Selectors combine with the filter and with each other: all must match.\n" +
		flagsNote,
	examples:     []string{"clients orders-prod", "clients orders-prod #0 worker --sort age", "clients orders-prod 10.0.3.", "clients orders-prod #0 --cmd keys --idle-over 10m"},
	usageExample: "clients orders-prod #0 worker --sort age",
	takes:        "takes the instance, a node and a filter",
	args:         []argSpec{instanceArg(false), nodeFilterArg()},
	flags:        []*flagSpec{sortFlag, nameFlag, ipFlag, cmdFlag, idleOverFlag},
	build: func(v parsed) (Command, error) {
		nf, _ := value[nodeFilter](v, "node-filter")
		return Clients{Instance: v.str("instance"), Node: nf.node, Filter: nf.filter, Sort: v.strOr(sortFlag.name, "idle"), Select: v.selectors()}, nil
	},
}

// Nodes asks to list an instance's nodes, numbered as NodeRef.Index counts.
type Nodes struct{ Instance string }

// Name returns "nodes".
func (Nodes) Name() string { return "nodes" }

var nodesSpec = &spec{
	name: "nodes",
	help: "Lists the nodes of an instance with their numbers, IDs and addresses; " +
		"other subcommands accept any of the three as <node>.\n" +
		instanceHelp,
	examples:     []string{"nodes orders-prod"},
	usageExample: "nodes orders-prod",
	takes:        "takes only the instance",
	args:         []argSpec{instanceArg(false)},
	build:        func(v parsed) (Command, error) { return Nodes{Instance: v.str("instance")}, nil },
}

// Status asks about one request.
type Status struct {
	ID string // as in Cancel
}

// Name returns "status".
func (Status) Name() string { return "status" }

var statusSpec = &spec{
	name: "status",
	help: "Shows a request and where it stands: pending approval, approved, running, done, failed, denied, expired or cancelled.\n" +
		requestIDHelp,
	examples:     []string{"status " + exampleID},
	usageExample: "status " + exampleID,
	takes:        "takes only the request ID",
	args:         []argSpec{requestIDArg()},
	build:        func(v parsed) (Command, error) { return Status{ID: v.str("request-id")}, nil },
}

// Cancel asks to cancel a pending request.
type Cancel struct {
	ID string // request ID: 6 characters of Crockford base32, upper case (see package requestid)
}

// Name returns "cancel".
func (Cancel) Name() string { return "cancel" }

var cancelSpec = &spec{
	name:         "cancel",
	help:         "Cancels a request that is still waiting for approval.\n" + requestIDHelp,
	examples:     []string{"cancel " + exampleID},
	usageExample: "cancel " + exampleID,
	takes:        "takes only the request ID",
	args:         []argSpec{requestIDArg()},
	build:        func(v parsed) (Command, error) { return Cancel{ID: v.str("request-id")}, nil },
}

// Pending asks for what waits for the user: the pending requests they may
// approve or deny, and their own.
type Pending struct{}

// Name returns "pending".
func (Pending) Name() string { return "pending" }

var pendingSpec = &spec{
	name: "pending",
	help: "Lists, to you alone, the requests waiting for your approval (with a link to each) and your own requests still waiting; " +
		"the Home tab of the app shows the same with buttons.\n",
	examples:     []string{"pending"},
	usageExample: "pending",
	takes:        "takes no arguments",
	build:        func(parsed) (Command, error) { return Pending{}, nil },
}

// History asks for the latest requests, of one instance or ("") of all.
type History struct {
	Instance string
	Limit    int // 1 to MaxHistoryLimit; DefaultHistoryLimit when not given
}

// Name returns "history".
func (History) Name() string { return "history" }

var historySpec = &spec{
	name: "history",
	help: "Lists the latest requests, newest first: those of one instance, or of every instance when none is given.\n" +
		instanceHelp +
		"• --limit N: how many, from 1 to 50; 10 when not given\n",
	examples:     []string{"history", "history orders-prod --limit 20"},
	usageExample: "history orders-prod --limit 20",
	takes:        "takes at most an instance",
	args:         []argSpec{instanceArg(true)},
	flags:        []*flagSpec{limitFlag},
	build: func(v parsed) (Command, error) {
		return History{Instance: v.str("instance"), Limit: v.num(limitFlag.name, DefaultHistoryLimit)}, nil
	},
}

// Help asks for the usage text. Topic is "" for the general help or the name
// of a subcommand ("kill", "kill-all", ...); pass it to UsageFor.
type Help struct{ Topic string }

// Name returns "help".
func (Help) Name() string { return "help" }

var helpSpec = &spec{
	name:         helpName,
	usageExample: "help clients",
	takes:        "takes at most one topic",
	args:         []argSpec{wordArg("subcommand")},
	build:        buildHelp,
}

// defaultTable is the table Parse, Usage and UsageFor use.
var defaultTable = newTable(subcommands, overview)

// Flags taken by more than one subcommand, or read by name in a build.
var (
	allNodesFlag = switchFlag("--all-nodes")
	sortFlag     = enumFlag("--sort", "idle", "age")
	limitFlag    = intFlag("--limit", 1, MaxHistoryLimit)
)

// buildHelp makes Help on the subcommand named by the argument
// "subcommand", if any.
func buildHelp(v parsed) (Command, error) {
	topic, ok := value[string](v, "subcommand")
	if !ok {
		return Help{}, nil
	}
	s := v.p.tab.lookup(topic)
	switch {
	case s == nil:
		return nil, v.fail("There is no help topic %s; the topics are %s.", code(topic), v.p.tab.list)
	case !s.hasTopic():
		return Help{}, nil
	}
	return Help{Topic: s.name}, nil
}

// Prose the help texts share.
const (
	exampleID = "7K2QFM"

	instanceHelp = "• <instance>: the instance alias (e.g. `orders-prod`) or its instance ID (a UUID)\n"
	nodeHelp     = "• <node>: the DCS node ID (32 hex digits, with or without dashes), the node's ip:port, " +
		"or its number in the list `/dcs nodes` shows (`3` or `#3`)\n"
	addrHelp = "• <addr>: a client address as ip:port, IPv4 like `10.0.0.5:52114` or IPv6 in brackets like `[fd00::5]:52114`; " +
		"give several separated by spaces\n"
	reasonHelp = "• --reason \"text\": why, shown with the request; 1 to 500 characters. " +
		"Put text with spaces in quotes: \"…\", '…', “…” and ‘…’ all work, and so does --reason=text\n"
	requestIDHelp = "• <request-id>: the 6-character ID the bot gave the request, like `" + exampleID + "` (upper or lower case)\n"
	approvalNote  = "Nothing is killed until the request is approved."
	flagsNote     = "Flags can go anywhere after the subcommand.\n"
)

// overview is the prose of the full usage, between the usage lines and
// the examples.
const overview = "*/dcs kill* asks to close the Redis client connections at each <addr> on one node of a DCS instance, " +
	"or those the selectors (`--name`, `--ip`, `--cmd`, `--idle-over`) choose on a node or on `--all-nodes`; " +
	"with only the instance it opens a dialog to pick them from a list; " +
	"*/dcs kill-all* asks to close every client connection on one node, or on all nodes. " + approvalNote + "\n" +
	instanceHelp + nodeHelp + addrHelp +
	"• <request-id>: the 6-character ID the bot gave the request, like `" + exampleID + "`\n" +
	"• --reason: why, shown with the request; put text with spaces in quotes\n" +
	flagsNote
