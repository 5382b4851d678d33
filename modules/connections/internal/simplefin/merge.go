package simplefin

import (
	"github.com/kontor-app/kontor/modules/connections/internal/provider"
)

// merger joins the answers for consecutive windows: accounts and transactions are
// kept once each, as the latest answer has them, in the order first seen.
type merger struct {
	accounts   []provider.Account
	accountAt  map[string]int
	txs        []provider.Transaction
	txAt       map[[2]string]int
	errs       []provider.AccountError
	errSeen    map[provider.AccountError]bool
	incomplete map[string]bool
}

func newMerger() *merger {
	return &merger{accountAt: map[string]int{}, txAt: map[[2]string]int{}, errSeen: map[provider.AccountError]bool{}, incomplete: map[string]bool{}}
}

func (m *merger) add(r *result) {
	for _, a := range r.accounts {
		if i, ok := m.accountAt[a.ID]; ok {
			m.accounts[i] = a
			continue
		}
		m.accountAt[a.ID] = len(m.accounts)
		m.accounts = append(m.accounts, a)
	}
	for _, t := range r.transactions {
		k := [2]string{t.AccountID, t.ID}
		if i, ok := m.txAt[k]; ok {
			m.txs[i] = t
			continue
		}
		m.txAt[k] = len(m.txs)
		m.txs = append(m.txs, t)
	}
	for _, e := range r.accountErrors {
		if !m.errSeen[e] {
			m.errSeen[e] = true
			m.errs = append(m.errs, e)
		}
	}
	for id := range r.incomplete {
		m.incomplete[id] = true
	}
}

func (m *merger) changes() provider.Changes {
	return provider.Changes{Added: m.txs, Accounts: m.accounts, AccountErrors: m.errs}
}
