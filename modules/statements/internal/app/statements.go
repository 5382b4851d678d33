package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/authn"
	"github.com/kontor-app/kontor/platform/authz"
)

// Service runs the statement use cases.
type Service struct {
	ledger    Ledger
	directory Directory
	authz     Authorizer
	clock     Clock
}

// NewService returns the statement use cases over their ports.
func NewService(ledger Ledger, directory Directory, authorizer Authorizer, clock Clock) *Service {
	return &Service{ledger: ledger, directory: directory, authz: authorizer, clock: clock}
}

// StatementInput names a statement: an account and a period as the request gave it.
type StatementInput struct {
	AccountID uuid.UUID
	Period    domain.PeriodInput
}

// ExportInput asks for a statement as a document in a format.
type ExportInput struct {
	StatementInput
	Format domain.Format
}

// Document is a statement ready to be written: everything a response needs before
// its body (the file name and media type) is known, and the entries are read from the
// ledger only while WriteTo writes them.
type Document struct {
	// FileName is statement-xxxx<last four of the account number>-<start>-<end>.<ext>:
	// a file name travels further than the file, so it never holds the full number.
	FileName string
	// Format is the document's format; Format.MediaType is its Content-Type.
	Format domain.Format
	// Header is what the statement says before its first entry.
	Header domain.Header

	ledger  Ledger
	subject authn.Subject
}

// Export checks that s may read the account, resolves the period and returns the
// statement as a Document to write. Every error that the caller must answer with a
// status (not found, forbidden, a bad period) happens here, before a byte is sent.
func (svc *Service) Export(ctx context.Context, s authn.Subject, in ExportInput) (*Document, error) {
	h, err := svc.header(ctx, s, in.StatementInput)
	if err != nil {
		return nil, err
	}
	return &Document{
		FileName: domain.FileName(strings.ReplaceAll(h.Account.MaskedNumber(), "*", "x"), h.Period, in.Format),
		Format:   in.Format,
		Header:   h,
		ledger:   svc.ledger,
		subject:  s,
	}, nil
}

// WriteTo streams the statement into w in the document's format, reading the ledger
// entry by entry. An error here comes after the first bytes may have been sent; the
// caller can only log it and cut the response short.
func (d *Document) WriteTo(ctx context.Context, w io.Writer) error {
	r, err := newRenderer(d.Format, w)
	if err != nil {
		return err
	}
	return stream(ctx, d.ledger, d.subject, d.Header, r)
}

// View is a statement as the statement page shows it: the header, the totals of the
// whole period and one page of its lines.
type View struct {
	Header domain.Header
	Totals domain.Totals
	// Lines are the lines from Offset on, at most the page size asked for.
	Lines []domain.Line
	// Offset is the index of the first of Lines among all the period's lines.
	Offset int
}

// ViewInput asks for one page of a statement's lines.
type ViewInput struct {
	StatementInput
	// Page counts from 1; PageSize lines make a page.
	Page     int
	PageSize int
}

// View builds the statement of the period, keeping only the lines of the page asked
// for, so that the totals cover the whole period while memory holds one page.
func (svc *Service) View(ctx context.Context, s authn.Subject, in ViewInput) (View, error) {
	h, err := svc.header(ctx, s, in.StatementInput)
	if err != nil {
		return View{}, err
	}
	size := in.PageSize
	if size <= 0 {
		size = 100
	}
	page := max(in.Page, 1)
	c := &collector{offset: (page - 1) * size, size: size}
	if err := stream(ctx, svc.ledger, s, h, c); err != nil {
		return View{}, err
	}
	return View{Header: h, Totals: c.totals, Lines: c.lines, Offset: c.offset}, nil
}

// header loads the account, checks that s may read it and resolves the period: the
// part of every statement use case that may fail with a status.
func (svc *Service) header(ctx context.Context, s authn.Subject, in StatementInput) (domain.Header, error) {
	now := svc.clock.Now().UTC()
	period, err := domain.ParsePeriod(in.Period, now)
	if err != nil {
		return domain.Header{}, err
	}
	acc, err := svc.ledger.Account(ctx, s, in.AccountID)
	if errors.Is(err, ErrNotFound) {
		return domain.Header{}, apperr.New(apperr.NotFound, "There is no account %s.", in.AccountID)
	}
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return domain.Header{}, err
		}
		return domain.Header{}, apperr.Wrap(err, "load account")
	}
	res := authz.Resource{Type: "account", ID: acc.ID.String(), Owner: acc.OwnerID.String()}
	if err := svc.authz.Authorize(ctx, s, res, authz.ActionRead); err != nil {
		return domain.Header{}, err
	}
	holder, err := svc.directory.HolderName(ctx, acc.OwnerID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return domain.Header{}, apperr.Wrap(err, "load holder")
	}
	opening, err := svc.ledger.BalanceBefore(ctx, s, acc.ID, period.From())
	if err != nil {
		return domain.Header{}, apperr.Wrap(err, "opening balance")
	}
	return domain.Header{Account: acc, HolderName: holder, Period: period, Opening: opening, GeneratedAt: now}, nil
}

// sink receives a statement as it is built: the header, each line, then the totals.
type sink interface {
	Begin(h domain.Header) error
	Line(l domain.Line) error
	End(t domain.Totals) error
}

// stream folds the period's entries through a Builder into out, checking the
// statement's invariants before the totals are written.
func stream(ctx context.Context, ledger Ledger, s authn.Subject, h domain.Header, out sink) error {
	if err := out.Begin(h); err != nil {
		return err
	}
	b := domain.NewBuilder(h.Period, h.Opening)
	err := ledger.Entries(ctx, s, h.Account.ID, h.Period.From(), h.Period.Until(), func(e domain.Entry) error {
		line, err := b.Add(e)
		if err != nil {
			return err
		}
		return out.Line(line)
	})
	if err != nil {
		return fmt.Errorf("statement of %s: %w", h.Account.ID, err)
	}
	t := b.Totals()
	if err := t.Check(); err != nil {
		return err
	}
	return out.End(t)
}

// collector is the sink behind View: it keeps one page of lines and the totals.
type collector struct {
	offset, size, seen int
	lines              []domain.Line
	totals             domain.Totals
}

func (c *collector) Begin(domain.Header) error { return nil }

func (c *collector) Line(l domain.Line) error {
	if c.seen >= c.offset && len(c.lines) < c.size {
		c.lines = append(c.lines, l)
	}
	c.seen++
	return nil
}

func (c *collector) End(t domain.Totals) error {
	c.totals = t
	return nil
}
