package simplefin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/money"
)

// result is one Account Set in the port's terms.
type result struct {
	accounts      []provider.Account
	transactions  []provider.Transaction
	accountErrors []provider.AccountError
	incomplete    map[string]bool
}

// convert checks an Account Set and maps it; a fatal errlist entry or bad data is a
// *provider.Error.
func (a *Adapter) convert(ctx context.Context, set *wireSet) (*result, error) {
	accounts := *set.Accounts
	res := &result{incomplete: map[string]bool{}}

	// Provider account ids: the account's own id (stable between versions 1 and 2),
	// except where two connections reuse one id in the same answer: those become
	// "conn_id/id", since version 2 makes ids unique within a connection only.
	seen := map[string]int{}
	for _, acct := range accounts {
		seen[acct.ID]++
	}
	ids := make([]string, len(accounts))
	byConn := map[string][]string{}
	wireToID := map[string]string{} // conn_id + "\x00" + id -> provider account id
	for i, acct := range accounts {
		if strings.TrimSpace(acct.ID) == "" {
			return nil, provider.Errorf(provider.CodeBadData, "SimpleFIN Bridge sent an account without an id.")
		}
		ids[i] = acct.ID
		if seen[acct.ID] > 1 && acct.ConnID != "" {
			ids[i] = acct.ConnID + "/" + acct.ID
		}
		byConn[acct.ConnID] = append(byConn[acct.ConnID], ids[i])
		wireToID[acct.ConnID+"\x00"+acct.ID] = ids[i]
	}
	idOf := func(connID, accountID string) string {
		if id, ok := wireToID[connID+"\x00"+accountID]; ok {
			return id
		}
		for _, acct := range accounts { // an error that names the account without its connection
			if acct.ID == accountID {
				return wireToID[acct.ConnID+"\x00"+acct.ID]
			}
		}
		return accountID
	}
	markAll := func() {
		for _, id := range ids {
			res.incomplete[id] = true
		}
	}

	conns := map[string]wireConn{}
	for _, c := range set.Connections {
		conns[c.ConnID] = c
	}

	if set.Errlist != nil {
		if err := a.errlist(*set.Errlist, conns, res, byConn, idOf, markAll); err != nil {
			return nil, err
		}
	} else {
		for _, msg := range set.Errors { // version 1: free text for the whole connection
			if m := cleanMessage(msg); m != "" {
				res.accountErrors = append(res.accountErrors, provider.AccountError{Code: "gen.", Message: m})
				markAll()
			}
		}
	}

	for i, acct := range accounts {
		id := ids[i]
		pa, err := a.account(ctx, acct, id, conns)
		if err != nil {
			return nil, err
		}
		res.accounts = append(res.accounts, pa)
		for _, t := range acct.Transactions {
			pt, err := a.transaction(t, id, acct.Name, pa.BalanceDate)
			if err != nil {
				return nil, err
			}
			res.transactions = append(res.transactions, pt)
		}
	}
	return res, nil
}

// errlist applies version 2 errors: auth errors and gen.api end the call, the others
// become account errors and incomplete marks.
func (a *Adapter) errlist(list []wireError, conns map[string]wireConn, res *result, byConn map[string][]string, idOf func(string, string) string, markAll func()) error {
	var fatal *provider.Error
	rank := func(code provider.Code) int {
		switch code {
		case provider.CodeAuthRevoked:
			return 3
		case provider.CodeAuthExpired:
			return 2
		}
		return 1
	}
	setFatal := func(e *provider.Error) {
		if fatal == nil || rank(e.Code) > rank(fatal.Code) {
			fatal = e
		}
	}
	for _, e := range list {
		code := normalizeCode(e.Code)
		msg := cleanMessage(e.text())
		if msg == "" {
			msg = "SimpleFIN Bridge reported " + code + " without a message."
		}
		switch {
		case code == "gen.auth":
			setFatal(&provider.Error{Code: provider.CodeAuthRevoked, Message: "SimpleFIN Bridge: " + sentence(msg) + " Create a new setup token in your SimpleFIN Bridge account and connect again."})
		case code == "con.auth":
			name := e.ConnID
			if c, ok := conns[e.ConnID]; ok && c.Name != "" {
				name = c.Name
			}
			where := ""
			if name != "" {
				where = " (" + cleanMessage(name) + ")"
			}
			setFatal(&provider.Error{Code: provider.CodeAuthExpired, Message: "SimpleFIN Bridge: " + sentence(msg+where) + " Sign in to your SimpleFIN Bridge account and fix the bank connection, then sync again."})
		case code == "gen.api":
			setFatal(&provider.Error{Code: provider.CodeBadData, Message: "SimpleFIN Bridge rejected Kontor's request: " + msg})
		case strings.HasPrefix(code, "act."):
			id := idOf(e.ConnID, e.AccountID)
			res.accountErrors = append(res.accountErrors, provider.AccountError{AccountID: id, Code: code, Message: msg})
			if id != "" {
				res.incomplete[id] = true
			} else {
				markAll()
			}
		case strings.HasPrefix(code, "con.") && len(byConn[e.ConnID]) > 0 && e.ConnID != "":
			for _, id := range byConn[e.ConnID] {
				res.accountErrors = append(res.accountErrors, provider.AccountError{AccountID: id, Code: code, Message: msg})
				res.incomplete[id] = true
			}
		default: // gen., an unknown gen.* or a con.* naming no account: the whole answer
			res.accountErrors = append(res.accountErrors, provider.AccountError{Code: code, Message: msg})
			markAll()
		}
	}
	if fatal != nil {
		return fatal
	}
	return nil
}

// normalizeCode folds an errlist code onto the ones Kontor knows; SIMPLEFIN.md §7:
// an unknown subcode is the bare prefix, and an unknown prefix is treated as gen.
func normalizeCode(code string) string {
	code = strings.ToLower(strings.TrimSpace(code))
	prefix, sub, _ := strings.Cut(code, ".")
	switch prefix {
	case "gen":
		if sub == "api" || sub == "auth" {
			return code
		}
	case "con":
		if sub == "auth" {
			return code
		}
	case "act":
		if sub == "failed" || sub == "missingdata" {
			return code
		}
	default:
		return "gen."
	}
	return prefix + "."
}

func (a *Adapter) account(ctx context.Context, w wireAccount, id string, conns map[string]wireConn) (provider.Account, error) {
	label := cleanMessage(w.Name)
	if label == "" {
		label = id
	}
	bad := func(format string, args ...any) error {
		return provider.Errorf(provider.CodeBadData, "SimpleFIN account %q: %s", label, fmt.Sprintf(format, args...))
	}
	balance, err := parseAmount(w.Balance)
	if err != nil {
		return provider.Account{}, bad("balance %v", err)
	}
	var avail money.NullAmount
	if w.AvailableBalance.set {
		v, err := parseAmount(w.AvailableBalance)
		if err != nil {
			return provider.Account{}, bad("available-balance %v", err)
		}
		avail = money.NullAmount{Amount: v, Valid: true}
	}
	currency, err := a.currency(ctx, w.Currency)
	if err != nil {
		return provider.Account{}, bad("%v", err)
	}
	balanceDate := a.now().UTC()
	if w.BalanceDate.set && w.BalanceDate.sec > 0 {
		balanceDate = time.Unix(w.BalanceDate.sec, 0).UTC()
	}
	name := cleanMessage(w.Name)
	if name == "" {
		name = "SimpleFIN account " + id
	}
	return provider.Account{
		ID:               id,
		Name:             name,
		Type:             AccountType(w.Name, balance, len(w.Holdings) > 0),
		Currency:         currency,
		Institution:      institution(w, conns),
		Balance:          balance,
		AvailableBalance: avail,
		BalanceDate:      balanceDate,
	}, nil
}

// institution names the bank: version 2's connection (org_name, else its name,
// else the account's conn_name), version 1's org (name, else domain).
func institution(w wireAccount, conns map[string]wireConn) string {
	if c, ok := conns[w.ConnID]; ok {
		for _, s := range []string{c.OrgName, c.Name} {
			if s = cleanMessage(s); s != "" {
				return s
			}
		}
	}
	if s := cleanMessage(w.ConnName); s != "" {
		return s
	}
	if w.Org != nil {
		for _, s := range []string{w.Org.Name, w.Org.Domain} {
			if s = cleanMessage(s); s != "" {
				return s
			}
		}
	}
	return ""
}

// transaction maps one transaction. Pending is the pending flag or posted == 0; the
// date is posted for posted transactions, and transacted_at (else posted, else the
// balance date) for pending ones.
func (a *Adapter) transaction(w wireTransaction, accountID, accountName string, balanceDate time.Time) (provider.Transaction, error) {
	bad := func(format string, args ...any) error {
		return provider.Errorf(provider.CodeBadData, "SimpleFIN account %q: %s", cleanMessage(accountName), fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(w.ID) == "" {
		return provider.Transaction{}, bad("a transaction without an id")
	}
	amount, err := parseAmount(w.Amount)
	if err != nil {
		return provider.Transaction{}, bad("transaction %q: amount %v", abbreviate(w.ID), err)
	}
	pending := w.Pending || w.Posted.sec == 0
	var date time.Time
	switch {
	case !pending:
		date = time.Unix(w.Posted.sec, 0).UTC()
	case w.TransactedAt.sec > 0:
		date = time.Unix(w.TransactedAt.sec, 0).UTC()
	case w.Posted.sec > 0:
		date = time.Unix(w.Posted.sec, 0).UTC()
	default:
		date = balanceDate
	}
	desc := cleanMessage(w.Description)
	if desc == "" {
		desc = cleanMessage(w.Payee)
	}
	if desc == "" {
		desc = cleanMessage(w.Memo)
	}
	return provider.Transaction{
		ID:           w.ID,
		AccountID:    accountID,
		Amount:       amount,
		Date:         date,
		Description:  desc,
		Counterparty: cleanMessage(w.Payee),
		Pending:      pending,
	}, nil
}

// currency returns the account's currency: an ISO 4217 code (upper-cased), or for a
// custom currency URL (SIMPLEFIN.md §9) the abbreviation its document gives,
// upper-cased with anything but letters and digits removed ("miles" → "MILES"),
// provided that is a usable ticker (3 to 10 letters and digits).
func (a *Adapter) currency(ctx context.Context, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	lower := strings.ToLower(raw)
	if !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "http://") {
		c, err := money.ParseCurrency(strings.ToUpper(raw))
		if err != nil {
			return "", fmt.Errorf("currency %q is neither an ISO 4217 code nor a custom currency URL", abbreviate(raw))
		}
		return string(c), nil
	}
	if v, ok := a.currencies.Load(raw); ok {
		return v.(string), nil
	}
	fail := func(why string) error {
		return fmt.Errorf("the custom currency at %s %s", abbreviate(raw), why)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return "", fail("is not a URL")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fail("cannot be read: " + redact(err.Error(), req.URL.User.String()))
	}
	defer drain(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fail(fmt.Sprintf("answered HTTP %d", resp.StatusCode))
	}
	var doc struct {
		Name string `json:"name"`
		Abbr string `json:"abbr"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&doc); err != nil {
		return "", fail("is not a currency document")
	}
	ticker := strings.Map(func(r rune) rune {
		r = unicode.ToUpper(r)
		if ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			return r
		}
		return -1
	}, doc.Abbr)
	c, err := money.ParseCurrency(ticker)
	if err != nil {
		return "", fail(fmt.Sprintf("has the abbreviation %q, which Kontor cannot use as a currency code", abbreviate(cleanMessage(doc.Abbr))))
	}
	a.currencies.Store(raw, string(c))
	return string(c), nil
}

// sentence ends s with a full stop unless it ends with punctuation already.
func sentence(s string) string {
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?") {
		return s
	}
	return s + "."
}

// cleanMessage makes provider text safe to store and show as plain text: valid UTF-8,
// no control characters, spaces collapsed, at most 500 characters, secrets redacted.
// It does not escape HTML: whoever renders it does.
func cleanMessage(s string, secrets ...string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	s = redact(s, secrets...)
	if utf8.RuneCountInString(s) > 500 {
		s = string([]rune(s)[:500]) + "…"
	}
	return s
}
