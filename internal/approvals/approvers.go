package approvals

import "context"

// isApprover reports whether user may approve or deny requests on the
// instance with alias. A group that cannot be resolved is logged and
// skipped; unchecked names the groups skipped, for the refusal.
func (s *Service) isApprover(ctx context.Context, alias, user string) (ok bool, unchecked []string) {
	ok, unresolved := s.PolicyFor(alias).IsApprover(ctx, s.p.Directory, user)
	for _, g := range unresolved {
		s.log.WarnContext(ctx, "approver group could not be resolved; checking the other approvers", "group", g.Group, "user", user, "err", g.Err)
		unchecked = append(unchecked, g.Group)
	}
	return ok, unchecked
}
