package memstore_test

import (
	"testing"

	"dcsbot/internal/approvals"
	"dcsbot/internal/store/memstore"
	"dcsbot/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) approvals.Store { return memstore.New() })
}
