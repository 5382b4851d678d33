package web

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/authn"
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

func (r *Routes) listPage(c *fiber.Ctx) error {
	sub, err := subject(c)
	if err != nil {
		return err
	}
	q := queryOf(c)
	archived, _ := strconv.ParseBool(q.Get("include_archived"))
	f := listFilter{
		Q: strings.TrimSpace(q.Get("q")), AccountType: q.Get("account_type"), Status: q.Get("status"),
		Currency: currencyCode(q.Get("currency")), IncludeArchived: archived,
	}
	v := listView{Filter: f}
	in := f.input()
	in.Cursor = q.Get(cursorParam)
	query, err := app.ParseListAccounts(in)
	var list app.AccountList
	if err == nil {
		list, err = r.svc.ListAccounts(c.UserContext(), sub, query)
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
	if v.Groups, err = r.groupsOf(c, sub, f, list.Accounts); err != nil {
		return err
	}
	p := pagingOf("/accounts", q)
	v.Pager = p.pager(list.NextCursor, p.rangeSummary(len(list.Accounts), app.DefaultLimit, list.TotalCount))
	return shell.Render(c, fiber.StatusOK, listPage(shell.Meta(c, "Accounts"), v))
}

// groupsOf sorts a page of accounts under the page's headings. The count and
// subtotals of a heading cover every matching account of its types, not just this
// page, like the totals at the top; the list use case computes them, asked for the
// heading's types alone.
func (r *Routes) groupsOf(c *fiber.Ctx, sub authn.Subject, f listFilter, accounts []domain.Account) ([]accountGroup, error) {
	buckets := make([][]domain.Account, len(groups))
	for _, a := range accounts {
		i := groupIndex(a.Type)
		buckets[i] = append(buckets[i], a)
	}
	var out []accountGroup
	for i, g := range groups {
		if len(buckets[i]) == 0 {
			continue
		}
		in := f.input()
		if f.AccountType == "" {
			in.AccountTypes = make([]string, len(g.Types))
			for j, t := range g.Types {
				in.AccountTypes[j] = string(t)
			}
		}
		in.Limit = 1
		query, err := app.ParseListAccounts(in)
		if err != nil {
			return nil, err
		}
		sum, err := r.svc.ListAccounts(c.UserContext(), sub, query)
		if err != nil {
			return nil, err
		}
		out = append(out, accountGroup{group: g, Accounts: buckets[i], Count: sum.TotalCount, Subtotals: totalsOf(sum.TotalBalanceByCurrency)})
	}
	return out, nil
}
