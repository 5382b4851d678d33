package web

import (
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/money"
	shell "github.com/kontor-app/kontor/web"
)

// listFilter is the filter form of the accounts page, as typed.
type listFilter struct {
	Q               string
	AccountType     string
	Status          string
	Currency        string
	IncludeArchived bool
}

// active reports whether any filter narrows the list.
func (f listFilter) active() bool {
	return f.Q != "" || f.AccountType != "" || f.Status != "" || f.Currency != "" || f.IncludeArchived
}

// input is the use case's input for the filter: the JSON API's GET /accounts fills
// the same struct from the same parameter names.
func (f listFilter) input() app.ListAccountsText {
	in := app.ListAccountsText{Q: f.Q, Status: f.Status, Currency: f.Currency, IncludeArchived: f.IncludeArchived}
	if f.AccountType != "" {
		in.AccountTypes = []string{f.AccountType}
	}
	return in
}

// accountGroup is one heading of the accounts page: the page's accounts of its types,
// and the count and subtotals of every matching account of those types.
type accountGroup struct {
	group
	Accounts  []domain.Account
	Count     int64
	Subtotals []currencyTotal
}

// listView is everything the accounts page shows.
type listView struct {
	Filter      listFilter
	Errors      formErrors
	TotalCount  int64
	ActiveCount int64
	Totals      []currencyTotal
	Groups      []accountGroup
	Pager       shell.PagerProps
}

func (r *Routes) listPage(c *fiber.Ctx, sub authn.Subject) error {
	q := httpserver.QueryValues(c)
	archived, _ := strconv.ParseBool(q.Get("include_archived"))
	f := listFilter{
		Q: strings.TrimSpace(q.Get("q")), AccountType: q.Get("account_type"), Status: q.Get("status"),
		Currency: currencyCode(q.Get("currency")), IncludeArchived: archived,
	}
	v := listView{Filter: f}
	in := f.input()
	in.Cursor = q.Get(cursorParam)
	query, err := app.ParseListAccounts(in)
	var list app.AccountsPage
	if err == nil {
		list, err = r.svc.ListAccountsPage(c.UserContext(), sub, query)
	}
	if err != nil {
		errs, status, ok := formErrorsOf(err)
		if !ok {
			return err
		}
		v.Errors = errs
		return shell.Render(c, status, listPage(shell.Meta(c, "Accounts"), v))
	}
	v.TotalCount, v.ActiveCount = list.TotalCount, list.ActiveCount
	v.Totals = totalsOf(list.TotalBalanceByCurrency)
	v.Groups = groupsOf(list)
	p := pagingOf("/accounts", q)
	v.Pager = p.pager(list.NextCursor, p.rangeSummary(len(list.Accounts), app.DefaultLimit, list.TotalCount))
	return shell.Render(c, fiber.StatusOK, listPage(shell.Meta(c, "Accounts"), v))
}

// groupsOf sorts a page of accounts under the page's headings. The count and
// subtotals of a heading cover every matching account of its types, not just this
// page, like the totals at the top; they come with the page from the use case.
func groupsOf(page app.AccountsPage) []accountGroup {
	buckets := make([][]domain.Account, len(groups))
	for _, a := range page.Accounts {
		i := groupIndex(a.Type)
		buckets[i] = append(buckets[i], a)
	}
	var out []accountGroup
	for i, g := range groups {
		if len(buckets[i]) == 0 {
			continue
		}
		// Favourites come first under their heading, in the list's own order.
		sort.SliceStable(buckets[i], func(x, y int) bool { return buckets[i][x].IsFavourite && !buckets[i][y].IsFavourite })
		sum := app.TypeSummary{Balances: map[money.Currency]money.Amount{}}
		for _, t := range g.Types {
			part := page.ByType[t]
			sum.Count += part.Count
			for c, b := range part.Balances {
				sum.Balances[c] = sum.Balances[c].Add(b)
			}
		}
		out = append(out, accountGroup{group: g, Accounts: buckets[i], Count: sum.Count, Subtotals: totalsOf(sum.Balances)})
	}
	return out
}
