package authz

import (
	"context"
	"strings"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/platform/database"
)

// ruleRow is one row of casbin_rules.
type ruleRow struct {
	bun.BaseModel `bun:"table:casbin_rules"`

	ID    int64  `bun:"id,pk,autoincrement"`
	PType string `bun:"ptype"`
	V0    string `bun:"v0"`
	V1    string `bun:"v1"`
	V2    string `bun:"v2"`
	V3    string `bun:"v3"`
	V4    string `bun:"v4"`
	V5    string `bun:"v5"`
}

func newRuleRow(ptype string, rule []string) ruleRow {
	r := ruleRow{PType: ptype}
	vs := []*string{&r.V0, &r.V1, &r.V2, &r.V3, &r.V4, &r.V5}
	for i, v := range rule {
		if i < len(vs) {
			*vs[i] = v
		}
	}
	return r
}

func (r ruleRow) values() []string {
	vs := []string{r.V0, r.V1, r.V2, r.V3, r.V4, r.V5}
	n := len(vs)
	for n > 0 && vs[n-1] == "" {
		n--
	}
	return vs[:n]
}

// Adapter keeps casbin policies in the database through bun; no casbin adapter for
// bun or database/sql is available to Kontor, so this small one implements
// persist.Adapter.
type Adapter struct {
	db *database.DB
}

var _ persist.Adapter = (*Adapter)(nil)

// NewAdapter returns an adapter over db.
func NewAdapter(db *database.DB) *Adapter { return &Adapter{db: db} }

// LoadPolicy loads every rule into m.
func (a *Adapter) LoadPolicy(m model.Model) error {
	var rows []ruleRow
	if err := a.db.NewSelect().Model(&rows).Order("id").Scan(context.Background()); err != nil {
		return err
	}
	for _, r := range rows {
		line := r.PType + ", " + strings.Join(r.values(), ", ")
		if err := persist.LoadPolicyLine(line, m); err != nil {
			return err
		}
	}
	return nil
}

// SavePolicy replaces every stored rule with those in m.
func (a *Adapter) SavePolicy(m model.Model) error {
	var rows []ruleRow
	for _, sec := range []string{"p", "g"} {
		for ptype, ast := range m[sec] {
			for _, rule := range ast.Policy {
				rows = append(rows, newRuleRow(ptype, rule))
			}
		}
	}
	ctx := context.Background()
	return a.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.NewDelete().Model((*ruleRow)(nil)).Where("1 = 1").Exec(ctx); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		_, err := tx.NewInsert().Model(&rows).Exec(ctx)
		return err
	})
}

// AddPolicy stores one rule; adding a rule that exists is not an error.
func (a *Adapter) AddPolicy(_ string, ptype string, rule []string) error {
	row := newRuleRow(ptype, rule)
	_, err := a.db.NewInsert().Model(&row).On("CONFLICT DO NOTHING").Exec(context.Background())
	return err
}

// RemovePolicy deletes one rule.
func (a *Adapter) RemovePolicy(_ string, ptype string, rule []string) error {
	row := newRuleRow(ptype, rule)
	_, err := a.db.NewDelete().Model((*ruleRow)(nil)).
		Where("ptype = ?", row.PType).Where("v0 = ?", row.V0).Where("v1 = ?", row.V1).
		Where("v2 = ?", row.V2).Where("v3 = ?", row.V3).Where("v4 = ?", row.V4).Where("v5 = ?", row.V5).
		Exec(context.Background())
	return err
}

// RemoveFilteredPolicy deletes the rules whose fields from fieldIndex on match
// fieldValues (an empty value matches anything).
func (a *Adapter) RemoveFilteredPolicy(_ string, ptype string, fieldIndex int, fieldValues ...string) error {
	q := a.db.NewDelete().Model((*ruleRow)(nil)).Where("ptype = ?", ptype)
	cols := []string{"v0", "v1", "v2", "v3", "v4", "v5"}
	for i, v := range fieldValues {
		if idx := fieldIndex + i; v != "" && idx < len(cols) {
			q = q.Where("? = ?", bun.Ident(cols[idx]), v)
		}
	}
	_, err := q.Exec(context.Background())
	return err
}
