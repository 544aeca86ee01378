package approvals

import (
	"context"
	"fmt"
)

// limitPending refuses a new request from user on inst when they already
// have as many requests waiting for approval as its policy allows (on
// every instance together), naming them. Requests past their TTL that the
// sweep has not expired yet do not count. Two requests submitted at the
// same instant may both pass: the limit bounds a flood, not a race.
func (s *Service) limitPending(ctx context.Context, inst Instance, user string) error {
	max := s.PolicyFor(inst.Alias).MaxPending
	rs, err := s.p.Store.List(ctx, ListFilter{Requester: user, States: []State{Pending}, Limit: max + 100})
	if err != nil {
		return fmt.Errorf("list pending requests of %s: %w", user, err)
	}
	now := s.p.Now()
	var ids []string
	for _, r := range rs {
		if !r.ExpiredAt(now) {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) < max {
		return nil
	}
	return &Refusal{Code: RefuseTooManyPending, Instance: inst.Alias, Count: len(ids), Max: max, Requests: ids}
}
