// Hand-written: the `scm` interface's exports, delegating to the registered
// ao.Scm (and its optional interfaces).
package export_ao_plugin_scm

import (
	ao "github.com/ao-dev/ao/sdk/go"
	"github.com/ao-dev/ao/sdk/go/internal/registry"
	st "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_scm_types"
	types "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_types"
	wit "github.com/ao-dev/ao/sdk/go/internal/witpkg/types"
)

type P = types.Project
type E = types.PluginError

func impl() ao.Scm { return registry.Plugin.(ao.Scm) }

func result[T any](v T, err error) wit.Result[T, E] {
	if err != nil {
		return wit.Err[T](ao.ToVariant(err))
	}
	return wit.Ok[T, E](v)
}

func unsupported[T any](call string) wit.Result[T, E] {
	var zero T
	return result(zero, ao.ErrUnsupported(call))
}

func DetectPr(p P, branch string) wit.Result[wit.Option[st.PrInfo], E] {
	return result(impl().DetectPr(p, branch))
}

func GetPrState(p P, pr st.PrInfo) wit.Result[st.PrState, E] { return result(impl().GetPrState(p, pr)) }

func GetPrSummary(p P, pr st.PrInfo) wit.Result[st.PrSummary, E] {
	if s, ok := impl().(ao.PrSummarizer); ok {
		return result(s.GetPrSummary(p, pr))
	}
	state, err := impl().GetPrState(p, pr)
	return result(st.PrSummary{State: state, Title: pr.Title}, err)
}

func GetCiChecks(p P, pr st.PrInfo) wit.Result[[]st.CiCheck, E] {
	return result(impl().GetCiChecks(p, pr))
}

func GetCiSummary(p P, pr st.PrInfo) wit.Result[st.CiSummary, E] {
	if s, ok := impl().(ao.CiSummarizer); ok {
		return result(s.GetCiSummary(p, pr))
	}
	checks, err := impl().GetCiChecks(p, pr)
	return result(ao.SummarizeChecks(checks), err)
}

func GetReviews(p P, pr st.PrInfo) wit.Result[[]st.Review, E] {
	return result(impl().GetReviews(p, pr))
}

func GetReviewDecision(p P, pr st.PrInfo) wit.Result[st.ReviewDecision, E] {
	if d, ok := impl().(ao.ReviewDecider); ok {
		return result(d.GetReviewDecision(p, pr))
	}
	reviews, err := impl().GetReviews(p, pr)
	if err != nil {
		return result(st.ReviewDecisionNone, err)
	}
	decision := st.ReviewDecisionNone
	if len(reviews) > 0 {
		decision = st.ReviewDecisionPending
	}
	for _, r := range reviews {
		if r.State == st.ReviewStateChangesRequested {
			return result(st.ReviewDecisionChangesRequested, nil)
		}
		if r.State == st.ReviewStateApproved {
			decision = st.ReviewDecisionApproved
		}
	}
	return result(decision, nil)
}

func GetPendingComments(p P, pr st.PrInfo) wit.Result[[]st.ReviewComment, E] {
	return result(impl().GetPendingComments(p, pr))
}

func GetMergeability(p P, pr st.PrInfo) wit.Result[st.Mergeability, E] {
	if m, ok := impl().(ao.MergeabilityReader); ok {
		return result(m.GetMergeability(p, pr))
	}
	return unsupported[st.Mergeability]("get-mergeability")
}

func MergePr(p P, pr st.PrInfo, method st.MergeMethod) wit.Result[wit.Unit, E] {
	return result(wit.Unit{}, impl().MergePr(p, pr, method))
}

func ClosePr(p P, pr st.PrInfo) wit.Result[wit.Unit, E] {
	return result(wit.Unit{}, impl().ClosePr(p, pr))
}

func EnrichPrs(p P, prs []st.PrInfo) wit.Result[[]st.PrEnrichment, E] {
	if e, ok := impl().(ao.PrEnricher); ok {
		return result(e.EnrichPrs(p, prs))
	}
	return unsupported[[]st.PrEnrichment]("enrich-prs")
}

func VerifyWebhook(p P, r st.WebhookRequest) wit.Result[st.WebhookVerification, E] {
	if v, ok := impl().(ao.WebhookVerifier); ok {
		return result(v.VerifyWebhook(p, r))
	}
	return unsupported[st.WebhookVerification]("verify-webhook")
}

func ParseWebhook(p P, r st.WebhookRequest) wit.Result[wit.Option[st.WebhookEvent], E] {
	if v, ok := impl().(ao.WebhookParser); ok {
		return result(v.ParseWebhook(p, r))
	}
	return unsupported[wit.Option[st.WebhookEvent]]("parse-webhook")
}
