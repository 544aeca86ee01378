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

// checkApprovals checks, for each of r's approvals not in counts yet,
// whether it counts: its approver is still an approver now (a user
// removed from the policy or from an approver group no longer counts;
// group members are cached by the Directory) and is not the requester. It
// reports whether it found any to check.
func (s *Service) checkApprovals(ctx context.Context, r *Request, counts map[string]bool) (found bool) {
	for _, a := range r.Approvals {
		if _, checked := counts[a.User]; checked {
			continue
		}
		ok, _ := s.isApprover(ctx, r.Instance.Alias, a.User)
		counts[a.User] = ok && a.User != r.Requester
		found = true
	}
	return found
}
