package scheduler

// The policy names below are the one definition of them. The GraphQL enums
// (MisfirePolicy, OverlapPolicy) and the datasources table's CHECK
// constraints repeat them; tests in graph and here fail when they disagree.

// Misfire policies: what happens to slots missed while no leader planned.
const (
	MisfireFireOnce = "FIRE_ONCE"
	MisfireSkip     = "SKIP"
	MisfireFireAll  = "FIRE_ALL"
)

// Overlap policies: what happens to a slot that comes due while an earlier
// run of the datasource is unfinished.
const (
	OverlapSkip      = "SKIP"
	OverlapAllow     = "ALLOW"
	OverlapBufferOne = "BUFFER_ONE"
)

// The policies a schedule gets unless it names others.
const (
	DefaultMisfirePolicy = MisfireFireOnce
	DefaultOverlapPolicy = OverlapSkip
)

// MisfirePolicies and OverlapPolicies list every policy, in the order the
// GraphQL schema documents them.
var (
	MisfirePolicies = []string{MisfireFireOnce, MisfireSkip, MisfireFireAll}
	OverlapPolicies = []string{OverlapSkip, OverlapAllow, OverlapBufferOne}
)
