// The example tracker in Go: issues from a small JSON REST service (see
// host/ao-conformance/src/fake_issues.rs for the API). The same plugin is
// written in Rust (examples/tracker-rust) and TypeScript (examples/tracker-js);
// all three pass `ao plugin test` with the same results.
//
// Build: `ao plugin build examples/tracker-go` (mainline Go, no TinyGo).
package main

import (
	"fmt"
	"net/url"
	"strings"

	ao "github.com/ao-dev/ao/sdk/go"
	"github.com/ao-dev/ao/sdk/go/config"
	"github.com/ao-dev/ao/sdk/go/http"
	"github.com/ao-dev/ao/sdk/go/worlds/tracker"
)

type Issues struct{}

// apiIssue is an issue as the service sends it.
type apiIssue struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Body     string   `json:"body"`
	State    string   `json:"state"`
	Labels   []string `json:"labels"`
	Assignee *string  `json:"assignee"`
	Priority *int32   `json:"priority"`
}

var apiState = map[ao.IssueState]string{
	ao.IssueStateOpen:       "open",
	ao.IssueStateInProgress: "in_progress",
	ao.IssueStateClosed:     "closed",
	ao.IssueStateCancelled:  "cancelled",
}

func base() (string, error) {
	u, err := config.String("url")
	return strings.TrimRight(u, "/"), err
}

// urlOf is BASE/issues/ID, also when the setting is missing (issue-url cannot fail).
func urlOf(id string) string {
	b, _ := base()
	return b + "/issues/" + id
}

func branch(id string) string { return "feat/issue-" + id }

func option[T any](p *T) ao.Option[T] {
	if p == nil {
		return ao.None[T]()
	}
	return ao.Some(*p)
}

func toIssue(i apiIssue) ao.Issue {
	state := ao.IssueStateOpen
	switch i.State {
	case "in_progress":
		state = ao.IssueStateInProgress
	case "closed":
		state = ao.IssueStateClosed
	case "cancelled":
		state = ao.IssueStateCancelled
	}
	labels := i.Labels
	if labels == nil {
		labels = []string{}
	}
	return ao.Issue{
		Id:          i.ID,
		Title:       i.Title,
		Description: i.Body,
		Url:         urlOf(i.ID),
		State:       state,
		Labels:      labels,
		Assignee:    option(i.Assignee),
		Priority:    option(i.Priority),
		BranchName:  ao.Some(branch(i.ID)),
	}
}

// send adds the token (filled in by the host) and maps error statuses.
func send(r *http.Request) (*http.Response, error) {
	resp, err := r.BearerSecret("ISSUES_TOKEN").Send()
	if err != nil {
		return nil, err
	}
	return resp.ErrorForStatus()
}

func (Issues) Manifest() ao.Manifest {
	m := ao.NewManifest("tracker-go", "0.1.0", "Issues from a JSON issue service (the example tracker, in Go)")
	m.Roles = []ao.Role{ao.RoleTracker}
	m.Capabilities.HttpHosts = []string{"*"}
	m.Capabilities.Secrets = []string{"ISSUES_TOKEN"}
	return m
}

func (Issues) GetIssue(_ ao.Project, id string) (ao.Issue, error) {
	b, err := base()
	if err != nil {
		return ao.Issue{}, err
	}
	resp, err := send(http.Get(b + "/issues/" + url.PathEscape(id)))
	if err != nil {
		return ao.Issue{}, err
	}
	var i apiIssue
	if err := resp.JSON(&i); err != nil {
		return ao.Issue{}, err
	}
	return toIssue(i), nil
}

func (Issues) IssueURL(_ ao.Project, id string) string { return urlOf(id) }

func (Issues) BranchName(_ ao.Project, id string) string { return branch(id) }

func (t Issues) GeneratePrompt(p ao.Project, id string) (string, error) {
	issue, err := t.GetIssue(p, id)
	if err != nil {
		return "", err
	}
	prompt := fmt.Sprintf("Issue #%s: %s\n%s", issue.Id, issue.Title, issue.Url)
	if issue.Description != "" {
		prompt += "\n\n" + issue.Description
	}
	if len(issue.Labels) > 0 {
		prompt += "\n\nLabels: " + strings.Join(issue.Labels, ", ")
	}
	return prompt, nil
}

func (Issues) ListIssues(_ ao.Project, f ao.IssueFilter) ([]ao.Issue, error) {
	b, err := base()
	if err != nil {
		return nil, err
	}
	var q []string
	if f.State.IsSome() {
		q = append(q, "state="+apiState[f.State.Some()])
	}
	if len(f.Labels) > 0 {
		q = append(q, "labels="+url.QueryEscape(strings.Join(f.Labels, ",")))
	}
	if f.Assignee.IsSome() {
		q = append(q, "assignee="+url.QueryEscape(f.Assignee.Some()))
	}
	if f.Limit.IsSome() {
		q = append(q, fmt.Sprintf("limit=%d", f.Limit.Some()))
	}
	resp, err := send(http.Get(b + "/issues?" + strings.Join(q, "&")))
	if err != nil {
		return nil, err
	}
	var list []apiIssue
	if err := resp.JSON(&list); err != nil {
		return nil, err
	}
	out := make([]ao.Issue, 0, len(list))
	for _, i := range list {
		out = append(out, toIssue(i))
	}
	return out, nil
}

func (Issues) CreateIssue(_ ao.Project, n ao.NewIssue) (ao.Issue, error) {
	b, err := base()
	if err != nil {
		return ao.Issue{}, err
	}
	body := map[string]any{"title": n.Title, "body": n.Description, "labels": n.Labels, "assignee": nil, "priority": nil}
	if n.Assignee.IsSome() {
		body["assignee"] = n.Assignee.Some()
	}
	if n.Priority.IsSome() {
		body["priority"] = n.Priority.Some()
	}
	resp, err := send(http.Post(b + "/issues").JSON(body))
	if err != nil {
		return ao.Issue{}, err
	}
	var i apiIssue
	if err := resp.JSON(&i); err != nil {
		return ao.Issue{}, err
	}
	return toIssue(i), nil
}

func (Issues) UpdateIssue(_ ao.Project, id string, u ao.IssueUpdate) error {
	b, err := base()
	if err != nil {
		return err
	}
	issueURL := b + "/issues/" + url.PathEscape(id)
	patch := map[string]any{"addLabels": u.AddLabels, "removeLabels": u.RemoveLabels}
	if u.State.IsSome() {
		patch["state"] = apiState[u.State.Some()]
	}
	if u.Assignee.IsSome() {
		patch["assignee"] = u.Assignee.Some()
	}
	if _, err := send(http.Patch(issueURL).JSON(patch)); err != nil {
		return err
	}
	if u.Comment.IsSome() {
		_, err := send(http.Post(issueURL + "/comments").JSON(map[string]string{"body": u.Comment.Some()}))
		return err
	}
	return nil
}

func (Issues) IssueLabel(_ ao.Project, u string) (string, bool) {
	b, err := base()
	if err != nil {
		return "", false
	}
	id, found := strings.CutPrefix(u, b+"/issues/")
	if !found || id == "" || strings.Contains(id, "/") {
		return "", false
	}
	return "#" + id, true
}

func init() { tracker.Export(Issues{}) }

func main() {}
