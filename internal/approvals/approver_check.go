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

// countApprovals counts r's approvals whose approver is still an approver
// now (a user removed from the policy or from an approver group no longer
// counts; group members are cached by the Directory). lapsed lists the
// approvers whose approval does not count.
func (s *Service) countApprovals(ctx context.Context, r *Request) (count int, lapsed []string) {
	for _, a := range r.Approvals {
		if ok, _ := s.isApprover(ctx, r.Instance.Alias, a.User); ok && a.User != r.Requester {
			count++
			continue
		}
		lapsed = append(lapsed, a.User)
	}
	if len(lapsed) > 0 {
		s.log.InfoContext(ctx, "approvals by people no longer approvers do not count", "lapsed", lapsed)
	}
	return count, lapsed
}
