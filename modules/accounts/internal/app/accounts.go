package app

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
	"github.com/kontor-app/kontor/platform/money"
)

// GetAccount returns one account of the subject.
func (s *Service) GetAccount(ctx context.Context, sub authn.Subject, id uuid.UUID) (domain.Account, error) {
	return s.load(ctx, sub, id, authz.ActionRead)
}

// ListAccountsText is the account list's query as text, the way GET /accounts and
// the accounts page receive it; ParseListAccounts decodes it for every face alike.
// Empty means "any".
type ListAccountsText struct {
	ActiveOnly      bool
	AccountTypes    []string
	Status          string
	Currency        string
	ConnectionID    string
	Manual          *bool
	MinBalance      string
	MaxBalance      string
	CreatedAfter    string
	CreatedBefore   string
	Q               string
	IncludeArchived bool
	// Sort is sort_order (the default), name, balance or created_at, with "-" for
	// descending.
	Sort   string
	Limit  int
	Cursor string
}

// ListAccountsQuery filters, sorts and pages the account list. The use case fills
// in the subject's user id; zero filter fields select everything, a zero Limit
// means DefaultLimit and a zero Sort the sort order.
type ListAccountsQuery struct {
	AccountFilter
	Sort   AccountSort
	Limit  int
	Cursor string
}

// AccountList is one page of accounts with counts and totals over every match.
type AccountList struct {
	Accounts               []domain.Account
	TotalCount             int64
	ActiveCount            int64
	TotalBalanceByCurrency map[money.Currency]money.Amount
	NextCursor             string
	HasMore                bool
}

const accountCursorKind = "accounts"

// ListAccounts returns a page of the subject's accounts: favourites first, then the
// others, each part in the query's sort order. The cursor carries the last row's
// favourite flag, so a walk over every page serves each account once.
func (s *Service) ListAccounts(ctx context.Context, sub authn.Subject, in ListAccountsQuery) (AccountList, error) {
	if err := s.authorizeOwn(ctx, sub, authz.ActionRead); err != nil {
		return AccountList{}, err
	}
	q, err := checkAccountQuery(sub.UserID, in)
	if err != nil {
		return AccountList{}, err
	}
	page, err := s.repo.List(ctx, q)
	if err != nil {
		return AccountList{}, err
	}
	sum, err := s.repo.Summarize(ctx, q.AccountFilter)
	if err != nil {
		return AccountList{}, err
	}
	out := AccountList{
		Accounts:               page.Accounts,
		TotalCount:             sum.TotalCount,
		ActiveCount:            sum.ActiveCount,
		TotalBalanceByCurrency: sum.TotalBalanceByCurrency,
		HasMore:                page.HasMore,
	}
	if page.HasMore && len(page.Accounts) > 0 {
		last := page.Accounts[len(page.Accounts)-1]
		out.NextCursor = encodePosition(accountCursorKind, q.Sort.String(),
			KeysetPosition{Value: AccountSortValue(&last, q.Sort.Field), ID: last.ID, Favourite: last.IsFavourite})
	}
	return out, nil
}

// AccountsPage is what the accounts page shows: one page of the list with its
// counts and totals, and the count and totals of every matching account per type,
// for the page's headings.
type AccountsPage struct {
	AccountList
	ByType map[domain.AccountType]TypeSummary
}

// ListAccountsPage returns the accounts page in one use case: the page of the list
// and its totals, and the per-type subtotals from one grouped query, whatever the
// number of headings.
func (s *Service) ListAccountsPage(ctx context.Context, sub authn.Subject, in ListAccountsQuery) (AccountsPage, error) {
	list, err := s.ListAccounts(ctx, sub, in)
	if err != nil {
		return AccountsPage{}, err
	}
	f := in.AccountFilter
	f.UserID = sub.UserID
	byType, err := s.repo.SummarizeByType(ctx, f)
	if err != nil {
		return AccountsPage{}, err
	}
	return AccountsPage{AccountList: list, ByType: byType}, nil
}

// AccountSortValue is the keyset value of a for the sort field, as the store
// compares it.
func AccountSortValue(a *domain.Account, field string) string {
	switch field {
	case SortName:
		return strings.ToLower(a.Name)
	case SortBalance:
		return a.Balance.String()
	case SortCreatedAt:
		return a.CreatedAt.UTC().Format(time.RFC3339Nano)
	}
	return strconv.Itoa(a.SortOrder)
}

// ParseListAccounts decodes the account list's query text; both faces call it, so
// both report the same field errors.
func ParseListAccounts(in ListAccountsText) (ListAccountsQuery, error) {
	var errs apperr.Fields
	q := ListAccountsQuery{AccountFilter: AccountFilter{
		ActiveOnly: in.ActiveOnly, Manual: in.Manual,
		IncludeArchived: in.IncludeArchived, NameContains: strings.TrimSpace(in.Q),
	}, Limit: in.Limit, Cursor: in.Cursor}
	for _, raw := range in.AccountTypes {
		for _, v := range strings.Split(raw, ",") {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			t, err := domain.ParseAccountType(v)
			if err != nil {
				errs.Add("account_type", "%s", err.Error())
				continue
			}
			q.Types = append(q.Types, t)
		}
	}
	if in.Status != "" {
		for _, v := range strings.Split(in.Status, ",") {
			st, err := domain.ParseStatus(strings.TrimSpace(v))
			if err != nil {
				errs.Add("status", "%s", err.Error())
				continue
			}
			q.Statuses = append(q.Statuses, st)
		}
	}
	if in.Currency != "" {
		c, err := money.ParseCurrency(in.Currency)
		if err != nil {
			errs.Add("currency", "%s", err.Error())
		}
		q.Currency = c
	}
	if in.ConnectionID != "" {
		id, err := uuid.Parse(in.ConnectionID)
		if err != nil {
			errs.Add("connection_id", "must be a UUID")
		}
		q.ConnectionID = uuid.NullUUID{UUID: id, Valid: err == nil}
	}
	q.MinBalance = parseOptionalAmount(&errs, "min_balance", in.MinBalance)
	q.MaxBalance = parseOptionalAmount(&errs, "max_balance", in.MaxBalance)
	if in.CreatedAfter != "" {
		if t, ok := parseInstant(&errs, "created_after", in.CreatedAfter); ok {
			q.CreatedAfter = &t
		}
	}
	if in.CreatedBefore != "" {
		if t, ok := parseInstant(&errs, "created_before", in.CreatedBefore); ok {
			q.CreatedBefore = &t
		}
	}
	if sort := strings.TrimSpace(in.Sort); sort != "" {
		q.Sort = ParseSort(sort)
		if !validSortField(q.Sort.Field) {
			errs.Add("sort", "must be sort_order, name, balance or created_at, with - before it for descending order")
		}
	}
	checkLimit(&errs, in.Limit)
	return q, errs.Err()
}

// ParseSort reads a sort as the API spells it ("name", "-balance"); the list use
// case refuses a field it does not know, and an empty one means sort_order.
func ParseSort(s string) AccountSort {
	s = strings.TrimSpace(s)
	return AccountSort{Field: strings.TrimPrefix(s, "-"), Desc: strings.HasPrefix(s, "-")}
}

func validSortField(f string) bool {
	switch f {
	case SortSortOrder, SortName, SortBalance, SortCreatedAt:
		return true
	}
	return false
}

// checkAccountQuery holds a typed query to the list's rules and decodes its cursor.
func checkAccountQuery(userID uuid.UUID, in ListAccountsQuery) (AccountQuery, error) {
	var errs apperr.Fields
	q := AccountQuery{AccountFilter: in.AccountFilter, Sort: in.Sort}
	q.UserID = userID
	for _, t := range q.Types {
		if _, err := domain.ParseAccountType(string(t)); err != nil {
			errs.Add("account_type", "%s", err.Error())
		}
	}
	for _, st := range q.Statuses {
		if _, err := domain.ParseStatus(string(st)); err != nil {
			errs.Add("status", "%s", err.Error())
		}
	}
	if q.Currency != "" {
		if _, err := money.ParseCurrency(string(q.Currency)); err != nil {
			errs.Add("currency", "%s", err.Error())
		}
	}
	if q.Sort.Field == "" {
		q.Sort = AccountSort{Field: SortSortOrder, Desc: q.Sort.Desc}
	}
	if !validSortField(q.Sort.Field) {
		errs.Add("sort", "must be sort_order, name, balance or created_at, with - before it for descending order")
	}
	q.Limit = checkLimit(&errs, in.Limit)
	if err := errs.Err(); err != nil {
		return q, err
	}
	after, err := decodeCursor(in.Cursor, accountCursorKind, q.Sort.String())
	if err != nil {
		return q, err
	}
	if after != nil && !validSortValue(q.Sort.Field, after.Value) {
		return q, apperr.New(apperr.InvalidCursor, "The cursor is not one this list handed out; start again without it.")
	}
	q.After = after
	return q, nil
}

func validSortValue(field, v string) bool {
	switch field {
	case SortBalance:
		_, err := money.Parse(v)
		return err == nil
	case SortCreatedAt:
		_, err := time.Parse(time.RFC3339Nano, v)
		return err == nil
	case SortSortOrder:
		_, err := strconv.Atoi(v)
		return err == nil
	}
	return true
}

// CreateAccountText is a new manual account as text, the way POST /accounts and
// the new-account form receive it; ParseCreateAccount decodes it for both.
// OpeningBalance is nil when not given; given, it must be a decimal number (an
// empty one is a mistake, not "none").
type CreateAccountText struct {
	Fields         AccountFieldsText
	OpeningBalance *string
}

// CreateAccountInput describes a new manual account. Fields.Name, AccountType and
// Currency are required; OpeningBalance, when given, is recorded as the opening
// entry (Fields.BalanceAmount stands in for it when it is not given). A missing
// account number is generated.
type CreateAccountInput struct {
	Fields         AccountFields
	OpeningBalance *money.Amount
}

// ParseCreateAccount decodes a new account's text and checks it as CreateAccount
// will, reporting every problem at once.
func ParseCreateAccount(in CreateAccountText) (CreateAccountInput, error) {
	f, errs := ParseAccountFields(in.Fields)
	out := CreateAccountInput{Fields: f}
	out.OpeningBalance = parseOpening(&errs, in.OpeningBalance)
	requireNew(&errs, in.Fields.Name.Set, in.Fields.AccountType.Set, in.Fields.Currency.Set)
	return out, ordered(errs).Err()
}

func parseOpening(errs *apperr.Fields, opening *string) *money.Amount {
	if opening == nil {
		return nil
	}
	if strings.TrimSpace(*opening) == "" {
		errs.Add("opening_balance", "must be a decimal number")
		return nil
	}
	a, ok := parseAmount(errs, "opening_balance", *opening)
	if !ok {
		return nil
	}
	return &a
}

func requireNew(errs *apperr.Fields, name, accountType, currency bool) {
	if !name {
		errs.Add("name", "is required")
	}
	if !accountType {
		errs.Add("account_type", "is required")
	}
	if !currency {
		errs.Add("currency", "is required")
	}
}

// CreateAccount opens a manual account for the subject.
func (s *Service) CreateAccount(ctx context.Context, sub authn.Subject, in CreateAccountInput) (domain.Account, error) {
	if err := s.authorizeOwn(ctx, sub, authz.ActionWrite); err != nil {
		return domain.Account{}, err
	}
	a, err := s.newAccount(ctx, sub, in.Fields, in.OpeningBalance)
	if err != nil {
		return domain.Account{}, err
	}
	return s.insert(ctx, &a, !in.Fields.AccountNumber.Set)
}

// newAccount validates fields and builds an unsaved manual account with its opening
// entry.
func (s *Service) newAccount(ctx context.Context, sub authn.Subject, f AccountFields, opening *money.Amount) (domain.Account, error) {
	var errs apperr.Fields
	requireNew(&errs, f.Name.Set, f.AccountType.Set, f.Currency.Set)
	errs = append(errs, f.check()...)
	if err := ordered(errs).Err(); err != nil {
		return domain.Account{}, err
	}
	if err := s.checkLinked(ctx, sub, f, uuid.Nil); err != nil {
		return domain.Account{}, err
	}
	now := s.now()
	a := domain.Account{
		ID: s.NewID(), UserID: sub.UserID, Status: domain.StatusActive, ShowInDashboard: true,
		Metadata: map[string]string{}, CustomFields: []domain.CustomField{},
		CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	// The balance of a new account comes only from its opening entry.
	balance := f.BalanceAmount
	f.BalanceAmount = Patch[money.Amount]{}
	status := f.Status
	f.Status = Patch[domain.Status]{}
	if err := s.apply(&a, &f, now); err != nil {
		return domain.Account{}, err
	}
	var openingAmount money.Amount
	switch {
	case opening != nil:
		openingAmount = *opening
	case balance.Set:
		openingAmount = balance.Value
	}
	if err := a.Currency.Allows(openingAmount); err != nil {
		field := "opening_balance"
		if opening == nil {
			field = "balance_amount"
		}
		return domain.Account{}, apperr.Validation(apperr.FieldError{Field: field, Message: err.Error()})
	}
	if !openingAmount.IsZero() {
		e := domain.OpeningEntry(openingAmount)
		e.ID, e.Currency, e.BookedAt, e.CreatedAt = s.NewID(), a.Currency, now, now
		if err := a.PostFromProvider(e, now); err != nil {
			return domain.Account{}, err
		}
	}
	if status.Set {
		if err := a.SetStatus(status.Value, now); err != nil {
			return domain.Account{}, err
		}
	}
	return a, nil
}

// insert saves a new account, drawing a fresh account number when a generated one
// collides.
func (s *Service) insert(ctx context.Context, a *domain.Account, generate bool) (domain.Account, error) {
	for attempt := 0; ; attempt++ {
		if generate {
			n, err := s.generateAccountNumber()
			if err != nil {
				return domain.Account{}, err
			}
			a.AccountNumber = n
		}
		err := s.repo.Create(ctx, a)
		if err == nil {
			a.ClearChanges()
			return *a, nil
		}
		if generate && errors.Is(err, ErrAccountNumberTaken) && attempt < 5 {
			continue
		}
		return domain.Account{}, s.mapRepoError(err)
	}
}

// checkLinked makes sure a linked_account_id names another account of the subject.
func (s *Service) checkLinked(ctx context.Context, sub authn.Subject, f AccountFields, self uuid.UUID) error {
	if !f.LinkedAccountID.Set || f.LinkedAccountID.Null {
		return nil
	}
	id := f.LinkedAccountID.Value
	bad := apperr.Validation(apperr.FieldError{Field: "linked_account_id", Message: "must be the id of another of your accounts"})
	if id == self {
		return bad
	}
	other, err := s.repo.Get(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return bad
	}
	if err != nil {
		return err
	}
	if s.authorize(ctx, sub, &other, authz.ActionRead) != nil {
		return bad
	}
	return nil
}

// UpdateAccountText is a merge patch of an account as text, the way PATCH
// /accounts/{id} and the edit form receive it; IfMatch is the If-Match header (or
// the form's version), empty when not given.
type UpdateAccountText struct {
	ID      uuid.UUID
	IfMatch string
	Fields  AccountFieldsText
}

// UpdateAccountInput is a merge patch of an account. ExpectedVersions, when not
// empty, are the versions the client may have last seen; the update fails with
// precondition_failed when the account is at none of them.
type UpdateAccountInput struct {
	ID               uuid.UUID
	ExpectedVersions []int64
	Fields           AccountFields
}

// ParseUpdateAccount decodes a merge patch's text and checks it as UpdateAccount
// will, reporting every problem at once.
func ParseUpdateAccount(in UpdateAccountText) (UpdateAccountInput, error) {
	f, errs := ParseAccountFields(in.Fields)
	return UpdateAccountInput{ID: in.ID, ExpectedVersions: ParseIfMatch(in.IfMatch), Fields: f}, errs.Err()
}

// ParseIfMatch reads an If-Match header into the versions it names: none for no
// header or "*" (any version will do), and -1, which no account has, for a tag
// that names no version of ours.
func ParseIfMatch(header string) []int64 {
	var out []int64
	for _, part := range strings.Split(header, ",") {
		tag := strings.TrimSpace(part)
		switch tag {
		case "":
			continue
		case "*":
			return nil
		}
		v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(tag, "W/"), `"`), 10, 64)
		if err != nil {
			v = -1
		}
		out = append(out, v)
	}
	return out
}

func versionExpected(expected []int64, version int64) bool {
	if len(expected) == 0 {
		return true
	}
	for _, v := range expected {
		if v == version {
			return true
		}
	}
	return false
}

// UpdateAccount applies a merge patch. On a manual account a new balance_amount is
// reached through an adjustment entry; on a linked account the provider-managed
// fields are read-only.
func (s *Service) UpdateAccount(ctx context.Context, sub authn.Subject, in UpdateAccountInput) (domain.Account, error) {
	if err := in.Fields.check().Err(); err != nil {
		return domain.Account{}, err
	}
	if err := s.checkLinked(ctx, sub, in.Fields, in.ID); err != nil {
		return domain.Account{}, err
	}
	return s.update(ctx, sub, in.ID, authz.ActionWrite, func(_ context.Context, a *domain.Account) error {
		if !versionExpected(in.ExpectedVersions, a.Version) {
			return apperr.New(apperr.PreconditionFailed, "The account has changed since you read it (it is now at %s); read it again and reapply your change.", ETag(a.Version))
		}
		if !a.IsManual() {
			if names := in.Fields.providerManaged(a); len(names) > 0 {
				return apperr.New(domain.ProviderManaged, "This account is kept by %s; %s cannot be changed here.", a.Provider, strings.Join(names, ", ")).
					WithDetails(map[string]any{"account_id": a.ID.String(), "fields": names})
			}
		}
		return s.apply(a, &in.Fields, s.now())
	})
}

// ETag returns the weak entity tag of an account version.
func ETag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

// CloseAccount closes an account whose balance is zero.
func (s *Service) CloseAccount(ctx context.Context, sub authn.Subject, id uuid.UUID) (domain.Account, error) {
	return s.update(ctx, sub, id, authz.ActionDelete, func(_ context.Context, a *domain.Account) error {
		return a.Close(s.now())
	})
}

// UpsertAccountText is an upsert as text, the way POST /accounts/upsert receives
// it; ParseUpsertAccount decodes it.
type UpsertAccountText struct {
	ExternalID     string
	Fields         AccountFieldsText
	OpeningBalance *string
}

// UpsertAccountInput creates or updates the subject's account with ExternalID.
// On create the fields are those of CreateAccountInput, and balance_amount may stand
// in for opening_balance (not both); on update the named fields replace the stored
// ones, a balance_amount is reached through an adjustment entry and opening_balance
// is ignored, because it only describes how the account began.
type UpsertAccountInput struct {
	ExternalID     string
	Fields         AccountFields
	OpeningBalance *money.Amount
}

// ParseUpsertAccount decodes an upsert's text and checks it as UpsertAccount will.
func ParseUpsertAccount(in UpsertAccountText) (UpsertAccountInput, error) {
	if strings.TrimSpace(in.ExternalID) == "" {
		return UpsertAccountInput{}, apperr.Validation(apperr.FieldError{Field: "external_id", Message: "is required"})
	}
	if in.OpeningBalance != nil && in.Fields.BalanceAmount.Set {
		return UpsertAccountInput{}, apperr.Validation(apperr.FieldError{Field: "balance_amount", Message: "send either opening_balance or balance_amount, not both"})
	}
	f, errs := ParseAccountFields(in.Fields)
	out := UpsertAccountInput{ExternalID: in.ExternalID, Fields: f}
	out.OpeningBalance = parseOpening(&errs, in.OpeningBalance)
	return out, ordered(errs).Err()
}

// UpsertOutcome says what an upsert did.
type UpsertOutcome string

// The upsert outcomes.
const (
	Created   UpsertOutcome = "created"
	Updated   UpsertOutcome = "updated"
	Unchanged UpsertOutcome = "unchanged"
)

// UpsertAccount creates or updates by external id.
func (s *Service) UpsertAccount(ctx context.Context, sub authn.Subject, in UpsertAccountInput) (domain.Account, UpsertOutcome, error) {
	ext := strings.TrimSpace(in.ExternalID)
	if ext == "" {
		return domain.Account{}, "", apperr.Validation(apperr.FieldError{Field: "external_id", Message: "is required"})
	}
	if in.OpeningBalance != nil && in.Fields.BalanceAmount.Set {
		return domain.Account{}, "", apperr.Validation(apperr.FieldError{Field: "balance_amount", Message: "send either opening_balance or balance_amount, not both"})
	}
	if err := s.authorizeOwn(ctx, sub, authz.ActionWrite); err != nil {
		return domain.Account{}, "", err
	}
	in.Fields.ExternalID = Set(ext)
	for attempt := 0; attempt < 3; attempt++ {
		existing, found, err := s.repo.FindByExternalID(ctx, sub.UserID, ext)
		if err != nil {
			return domain.Account{}, "", err
		}
		if found {
			a, err := s.UpdateAccount(ctx, sub, UpdateAccountInput{ID: existing.ID, Fields: in.Fields})
			return a, Updated, err
		}
		a, err := s.newAccount(ctx, sub, in.Fields, in.OpeningBalance)
		if err != nil {
			return domain.Account{}, "", err
		}
		a, err = s.insert(ctx, &a, !in.Fields.AccountNumber.Set)
		if apperr.Is(err, domain.DuplicateExternalID) {
			// Another request created it a moment ago: update that one instead.
			continue
		}
		return a, Created, err
	}
	return domain.Account{}, "", apperr.New(apperr.Conflict, "The account changed at the same moment; retry the request.")
}
