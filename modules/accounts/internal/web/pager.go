package web

import (
	"net/url"
	"strconv"

	shell "github.com/kontor-app/kontor/web"
)

// Keyset lists only page forwards: a cursor names the row after which the next page
// starts. So that "Previous" works without JavaScript, each link carries the cursors
// of the pages before it in the repeatable back parameter, oldest first (the first
// page's cursor is empty). The trail is capped so deep pages keep short URLs; past
// the cap, "Previous" from the oldest remembered page leads to the first page.
const (
	cursorParam = "cursor"
	backParam   = "back"
	maxTrail    = 20
)

// paging is where a keyset list stands: its cursor and the trail behind it.
type paging struct {
	path   string
	query  url.Values
	cursor string
	trail  []string
}

func pagingOf(path string, q url.Values) paging {
	return paging{path: path, query: q, cursor: q.Get(cursorParam), trail: q[backParam]}
}

// number is the page's position from 1, or 0 when the trail was capped and the
// position is unknown.
func (p paging) number() int {
	if p.cursor == "" {
		return 1
	}
	if len(p.trail) == 0 || p.trail[0] != "" {
		return 0
	}
	return len(p.trail) + 1
}

func (p paging) link(cursor string, trail []string) string {
	q := url.Values{}
	for k, v := range p.query {
		if k != cursorParam && k != backParam {
			q[k] = v
		}
	}
	if cursor != "" {
		q.Set(cursorParam, cursor)
		q[backParam] = trail
	}
	if len(q) == 0 {
		return p.path
	}
	return p.path + "?" + q.Encode()
}

// pager returns the links to the neighbouring pages; next is the cursor the list
// handed out, empty on the last page.
func (p paging) pager(next string, summary string) shell.PagerProps {
	props := shell.PagerProps{Summary: summary}
	if next != "" {
		trail := append(append([]string{}, p.trail...), p.cursor)
		if len(trail) > maxTrail {
			trail = trail[len(trail)-maxTrail:]
		}
		props.NextURL = p.link(next, trail)
	}
	if p.cursor != "" {
		if n := len(p.trail); n > 0 {
			props.PrevURL = p.link(p.trail[n-1], p.trail[:n-1])
		} else {
			props.PrevURL = p.link("", nil)
		}
	}
	return props
}

// rangeSummary says which rows of total a page of size rows shows, such as
// "Showing 51–100 of 230", when the page's position is known.
func (p paging) rangeSummary(rows int, limit int, total int64) string {
	n := p.number()
	if n == 0 || rows == 0 || (n == 1 && int64(rows) == total) {
		return ""
	}
	first := (n-1)*limit + 1
	last := first + rows - 1
	return "Showing " + strconv.Itoa(first) + "–" + strconv.Itoa(last) + " of " + strconv.FormatInt(total, 10)
}
