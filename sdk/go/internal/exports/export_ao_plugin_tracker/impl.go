// Hand-written: the `tracker` interface's exports, delegating to the
// registered ao.Tracker (and its optional interfaces).
package export_ao_plugin_tracker

import (
	ao "github.com/ao-dev/ao/sdk/go"
	"github.com/ao-dev/ao/sdk/go/internal/registry"
	tt "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_tracker_types"
	types "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_types"
	wit "github.com/ao-dev/ao/sdk/go/internal/witpkg/types"
)

func impl() ao.Tracker { return registry.Plugin.(ao.Tracker) }

func result[T any](v T, err error) wit.Result[T, types.PluginError] {
	if err != nil {
		return wit.Err[T](ao.ToVariant(err))
	}
	return wit.Ok[T, types.PluginError](v)
}

func unit(err error) wit.Result[wit.Unit, types.PluginError] { return result(wit.Unit{}, err) }

func GetIssue(p types.Project, id string) wit.Result[tt.Issue, types.PluginError] {
	return result(impl().GetIssue(p, id))
}

func ListIssues(p types.Project, f tt.IssueFilter) wit.Result[[]tt.Issue, types.PluginError] {
	if l, ok := impl().(ao.IssueLister); ok {
		return result(l.ListIssues(p, f))
	}
	return result[[]tt.Issue](nil, ao.ErrUnsupported("list-issues"))
}

func CreateIssue(p types.Project, n tt.NewIssue) wit.Result[tt.Issue, types.PluginError] {
	if c, ok := impl().(ao.IssueCreator); ok {
		return result(c.CreateIssue(p, n))
	}
	return result(tt.Issue{}, ao.ErrUnsupported("create-issue"))
}

func UpdateIssue(p types.Project, id string, u tt.IssueUpdate) wit.Result[wit.Unit, types.PluginError] {
	if c, ok := impl().(ao.IssueUpdater); ok {
		return unit(c.UpdateIssue(p, id, u))
	}
	return unit(ao.ErrUnsupported("update-issue"))
}

func IsCompleted(p types.Project, id string) wit.Result[bool, types.PluginError] {
	if c, ok := impl().(ao.CompletionChecker); ok {
		return result(c.IsCompleted(p, id))
	}
	issue, err := impl().GetIssue(p, id)
	return result(issue.State == tt.IssueStateClosed || issue.State == tt.IssueStateCancelled, err)
}

func IssueUrl(p types.Project, id string) string { return impl().IssueURL(p, id) }

func IssueLabel(p types.Project, url string) wit.Option[string] {
	if l, ok := impl().(ao.IssueLabeler); ok {
		return ao.SomeIf(l.IssueLabel(p, url))
	}
	return wit.None[string]()
}

func BranchName(p types.Project, id string) string { return impl().BranchName(p, id) }

func GeneratePrompt(p types.Project, id string) wit.Result[string, types.PluginError] {
	return result(impl().GeneratePrompt(p, id))
}
