package app

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// Intervals of a balance series.
const (
	IntervalDay   = "day"
	IntervalWeek  = "week"
	IntervalMonth = "month"
)

// MaxPoints bounds how many points one series may have.
const MaxPoints = 1000

// HistoryText is a balance series' query as text, the way GET
// /accounts/{id}/balance-history and GET /net-worth receive it; ParseHistory decodes
// it. Dates are YYYY-MM-DD; empty means the default.
type HistoryText struct {
	StartDate string
	EndDate   string
	Interval  string
}

// HistoryInput asks for a balance series. Dates are UTC days, both inclusive; the
// end defaults to today and the start to 30 days, 12 weeks or 12 months before it,
// by interval (day, the default, week or month). Each point is the balance at the
// end of its day, week (Monday to Sunday) or month, the last point being the end
// date itself.
type HistoryInput struct {
	AccountID uuid.UUID
	Start     *time.Time
	End       *time.Time
	Interval  string
}

// ParseHistory decodes a balance series' query text.
func ParseHistory(in HistoryText) (HistoryInput, error) {
	var errs apperr.Fields
	out := HistoryInput{Interval: strings.TrimSpace(in.Interval)}
	if in.StartDate != "" {
		if d, ok := parseDate(&errs, "start_date", in.StartDate); ok {
			out.Start = &d
		}
	}
	if in.EndDate != "" {
		if d, ok := parseDate(&errs, "end_date", in.EndDate); ok {
			out.End = &d
		}
	}
	checkInterval(&errs, out.Interval)
	return out, errs.Err()
}

func checkInterval(errs *apperr.Fields, interval string) {
	switch interval {
	case "", IntervalDay, IntervalWeek, IntervalMonth:
	default:
		errs.Add("interval", "must be day, week or month")
	}
}

// Point is the balance at the end of Date.
type Point struct {
	Date    time.Time
	Balance money.Amount
}

// Series is a balance series in one currency.
type Series struct {
	Currency money.Currency
	Points   []Point
}

type historyRange struct {
	start, end time.Time
	dates      []time.Time
	interval   string
}

func (s *Service) parseRange(in HistoryInput) (historyRange, error) {
	var errs apperr.Fields
	r := historyRange{interval: in.Interval}
	if r.interval == "" {
		r.interval = IntervalDay
	}
	checkInterval(&errs, r.interval)
	r.end = domain.DayOf(s.now())
	if in.End != nil {
		r.end = domain.DayOf(*in.End)
	}
	switch r.interval {
	case IntervalWeek:
		r.start = r.end.AddDate(0, 0, -7*12+1)
	case IntervalMonth:
		r.start = time.Date(r.end.Year(), r.end.Month()-11, 1, 0, 0, 0, 0, time.UTC)
	default:
		r.start = r.end.AddDate(0, 0, -29)
	}
	if in.Start != nil {
		r.start = domain.DayOf(*in.Start)
	}
	if err := errs.Err(); err != nil {
		return r, err
	}
	if r.start.After(r.end) {
		return r, apperr.Validation(apperr.FieldError{Field: "start_date", Message: "must not be after end_date"})
	}
	r.dates = pointDates(r.start, r.end, r.interval, MaxPoints)
	if len(r.dates) > MaxPoints {
		return r, apperr.Validation(apperr.FieldError{Field: "start_date", Message: "the range holds more than 1000 points; choose a shorter range or a longer interval"})
	}
	return r, nil
}

// pointDates returns the last day of each interval bucket between start and end,
// the final one clipped to end.
func pointDates(start, end time.Time, interval string, limit int) []time.Time {
	var out []time.Time
	for d := start; !d.After(end); {
		last := d
		switch interval {
		case IntervalWeek:
			last = d.AddDate(0, 0, (7-int(d.Weekday()))%7)
		case IntervalMonth:
			last = time.Date(d.Year(), d.Month()+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
		}
		if last.After(end) {
			last = end
		}
		out = append(out, last)
		if len(out) > limit {
			break
		}
		d = last.AddDate(0, 0, 1)
	}
	return out
}

// series turns the current balance and the deltas since r.start into points: the
// balance before r.start is the current one less every delta since.
func series(currency money.Currency, current money.Amount, deltas []DayDelta, r historyRange) Series {
	var since money.Amount
	for _, d := range deltas {
		since = since.Add(d.Delta)
	}
	balance := current.Sub(since)
	out := Series{Currency: currency, Points: make([]Point, 0, len(r.dates))}
	i := 0
	for _, date := range r.dates {
		for i < len(deltas) && !deltas[i].Day.After(date) {
			balance = balance.Add(deltas[i].Delta)
			i++
		}
		out.Points = append(out.Points, Point{Date: date, Balance: balance})
	}
	return out
}

// BalanceHistory returns an account's balance series.
func (s *Service) BalanceHistory(ctx context.Context, sub authn.Subject, in HistoryInput) (Series, error) {
	a, err := s.load(ctx, sub, in.AccountID, authz.ActionRead)
	if err != nil {
		return Series{}, err
	}
	return s.history(ctx, a, in)
}

// history is the balance series of an account already loaded and authorized.
func (s *Service) history(ctx context.Context, a domain.Account, in HistoryInput) (Series, error) {
	r, err := s.parseRange(in)
	if err != nil {
		return Series{}, err
	}
	deltas, err := s.repo.DailyDeltas(ctx, DeltaQuery{AccountID: uuid.NullUUID{UUID: a.ID, Valid: true}, From: r.start})
	if err != nil {
		return Series{}, err
	}
	sortDeltas(deltas)
	return series(a.Currency, a.Balance, deltas, r), nil
}

// NetWorth returns one balance series per currency over all the subject's
// accounts, archived and closed ones included: net worth counts every account, and
// liabilities count negatively because their balances are negative.
func (s *Service) NetWorth(ctx context.Context, sub authn.Subject, in HistoryInput) ([]Series, error) {
	if err := s.authorizeOwn(ctx, sub, authz.ActionRead); err != nil {
		return nil, err
	}
	r, err := s.parseRange(in)
	if err != nil {
		return nil, err
	}
	sum, err := s.repo.Summarize(ctx, AccountFilter{UserID: sub.UserID, IncludeArchived: true})
	if err != nil {
		return nil, err
	}
	deltas, err := s.repo.DailyDeltas(ctx, DeltaQuery{UserID: uuid.NullUUID{UUID: sub.UserID, Valid: true}, From: r.start})
	if err != nil {
		return nil, err
	}
	byCurrency := map[money.Currency][]DayDelta{}
	for _, d := range deltas {
		byCurrency[d.Currency] = append(byCurrency[d.Currency], d)
	}
	currencies := make([]money.Currency, 0, len(sum.TotalBalanceByCurrency))
	for c := range sum.TotalBalanceByCurrency {
		currencies = append(currencies, c)
	}
	for c := range byCurrency {
		if _, ok := sum.TotalBalanceByCurrency[c]; !ok {
			currencies = append(currencies, c)
		}
	}
	sort.Slice(currencies, func(i, j int) bool { return currencies[i] < currencies[j] })
	out := make([]Series, 0, len(currencies))
	for _, c := range currencies {
		ds := byCurrency[c]
		sortDeltas(ds)
		out = append(out, series(c, sum.TotalBalanceByCurrency[c], ds, r))
	}
	return out, nil
}

func sortDeltas(ds []DayDelta) {
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Day.Before(ds[j].Day) })
}

// BalanceAt returns the account's balance at the end of day (UTC), computed from
// the daily deltas after it, once sub may read the account.
func (s *Service) BalanceAt(ctx context.Context, sub authn.Subject, accountID uuid.UUID, day time.Time) (money.Amount, error) {
	a, err := s.load(ctx, sub, accountID, authz.ActionRead)
	if err != nil {
		return money.Zero, err
	}
	deltas, err := s.repo.DailyDeltas(ctx, DeltaQuery{AccountID: uuid.NullUUID{UUID: accountID, Valid: true}, From: domain.DayOf(day).AddDate(0, 0, 1)})
	if err != nil {
		return money.Zero, err
	}
	balance := a.Balance
	for _, d := range deltas {
		balance = balance.Sub(d.Delta)
	}
	return balance, nil
}

// DailyBalances returns the account's balance at the end of every day from from to
// to, both inclusive, once sub may read the account.
func (s *Service) DailyBalances(ctx context.Context, sub authn.Subject, accountID uuid.UUID, from, to time.Time) ([]Point, error) {
	from, to = domain.DayOf(from), domain.DayOf(to)
	if from.After(to) {
		return nil, apperr.Validation(apperr.FieldError{Field: "start_date", Message: "must not be after end_date"})
	}
	a, err := s.load(ctx, sub, accountID, authz.ActionRead)
	if err != nil {
		return nil, err
	}
	deltas, err := s.repo.DailyDeltas(ctx, DeltaQuery{AccountID: uuid.NullUUID{UUID: accountID, Valid: true}, From: from})
	if err != nil {
		return nil, err
	}
	sortDeltas(deltas)
	r := historyRange{start: from, end: to, interval: IntervalDay, dates: pointDates(from, to, IntervalDay, int(to.Sub(from).Hours()/24)+1)}
	return series(a.Currency, a.Balance, deltas, r).Points, nil
}

// StreamTransactions calls fn with the account's entries booked from from (inclusive)
// to to (exclusive) that move its balance, in booking order, from a single ordered
// read of the ledger, once sub may read the account. A provider's pending entries
// are left out, as they are out of the balance.
func (s *Service) StreamTransactions(ctx context.Context, sub authn.Subject, accountID uuid.UUID, from, to time.Time, fn func(domain.Transaction) error) error {
	if _, err := s.load(ctx, sub, accountID, authz.ActionRead); err != nil {
		return err
	}
	return s.repo.StreamLedger(ctx, accountID, from, to, func(t domain.Transaction) error {
		if !t.Counts() {
			return nil
		}
		return fn(t)
	})
}

// AccountView is what an account's page shows: the account, one page of its
// ledger and its balance over the last 30 days.
type AccountView struct {
	Account      domain.Account
	Transactions TransactionList
	// TransactionsErr is the list's own error (a cursor or filter it refuses),
	// which the page shows beside the rest instead of failing.
	TransactionsErr error
	History         Series
}

// AccountPage loads the account once, authorizes once, and reads the page of its
// ledger (when list is not nil; the page's filters may not have decoded) and its
// recent history from that one load.
func (s *Service) AccountPage(ctx context.Context, sub authn.Subject, id uuid.UUID, list *ListTransactionsInput) (AccountView, error) {
	a, err := s.load(ctx, sub, id, authz.ActionRead)
	if err != nil {
		return AccountView{}, err
	}
	v := AccountView{Account: a}
	if list != nil {
		q := TransactionQuery{TransactionFilter: TransactionFilter{UserID: a.UserID, AccountIDs: []uuid.UUID{a.ID}}}
		v.Transactions, v.TransactionsErr = s.listTransactions(ctx, q, *list)
		if _, ok := apperr.As(v.TransactionsErr); !ok && v.TransactionsErr != nil {
			return AccountView{}, v.TransactionsErr
		}
	}
	if v.History, err = s.history(ctx, a, HistoryInput{AccountID: a.ID}); err != nil {
		return AccountView{}, err
	}
	return v, nil
}
