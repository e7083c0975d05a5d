package auth

import "fmt"

// Role is what a token may do. Each role includes the ones below it.
type Role int8

const (
	// Viewer reads: queries and subscriptions.
	Viewer Role = iota + 1
	// Editor also changes datasources and their schedules.
	Editor
	// Admin also manages tokens, the cluster and the River UI.
	Admin
)

var roleNames = map[Role]string{Viewer: "viewer", Editor: "editor", Admin: "admin"}

// String is the role's name as stored in api_tokens.role.
func (r Role) String() string {
	if name, ok := roleNames[r]; ok {
		return name
	}
	return fmt.Sprintf("Role(%d)", int8(r))
}

// ParseRole reads a role's name: viewer, editor or admin.
func ParseRole(name string) (Role, error) {
	for r, n := range roleNames {
		if n == name {
			return r, nil
		}
	}
	return 0, fmt.Errorf("auth: %q is not a role (viewer, editor or admin)", name)
}

// Allows reports whether r includes required.
func (r Role) Allows(required Role) bool { return r >= required }
