// Package http is HTTP through the host. The host checks the destination
// against the hosts this plugin was granted, applies timeouts and size
// limits, and fills secret headers itself so tokens never enter the plugin.
//
//	var issues []Issue
//	resp, err := http.Get(url).BearerSecret("TOKEN").Send()
//	if err == nil { resp, err = resp.ErrorForStatus() }
//	if err == nil { err = resp.JSON(&issues) }
package http

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	ao "github.com/ao-dev/ao/sdk/go"
	host "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_http"
	wit "github.com/ao-dev/ao/sdk/go/internal/witpkg/types"
)

// Request is a request being built.
type Request struct {
	req host.Request
	err error
}

func newRequest(method host.Method, url string) *Request {
	return &Request{req: host.Request{
		Method:        method,
		Url:           url,
		Headers:       []wit.Tuple2[string, string]{},
		SecretHeaders: []host.SecretHeader{},
		Body:          wit.None[[]uint8](),
		TimeoutMs:     wit.None[uint32](),
	}}
}

// Get starts a GET request.
func Get(url string) *Request { return newRequest(host.MethodGet, url) }

// Post starts a POST request.
func Post(url string) *Request { return newRequest(host.MethodPost, url) }

// Put starts a PUT request.
func Put(url string) *Request { return newRequest(host.MethodPut, url) }

// Patch starts a PATCH request.
func Patch(url string) *Request { return newRequest(host.MethodPatch, url) }

// Delete starts a DELETE request.
func Delete(url string) *Request { return newRequest(host.MethodDelete, url) }

// Header adds a header.
func (r *Request) Header(name, value string) *Request {
	r.req.Headers = append(r.req.Headers, wit.Tuple2[string, string]{F0: name, F1: value})
	return r
}

// SecretHeader adds `name: prefix + <secret>`, filled in by the host.
func (r *Request) SecretHeader(name, secret, prefix string) *Request {
	r.req.SecretHeaders = append(r.req.SecretHeaders, host.SecretHeader{Name: name, Secret: secret, Prefix: prefix})
	return r
}

// BearerSecret is `Authorization: Bearer <secret>`.
func (r *Request) BearerSecret(secret string) *Request {
	return r.SecretHeader("Authorization", secret, "Bearer ")
}

// Body sets a raw body.
func (r *Request) Body(body []byte) *Request {
	r.req.Body = wit.Some(body)
	return r
}

// JSON sets a JSON body with `Content-Type: application/json`.
func (r *Request) JSON(v any) *Request {
	body, err := json.Marshal(v)
	if err != nil {
		r.err = ao.ErrInvalidInput(fmt.Sprintf("request body: %v", err))
		return r
	}
	return r.Header("Content-Type", "application/json").Body(body)
}

// TimeoutMs sets this request's timeout (the host caps it).
func (r *Request) TimeoutMs(ms uint32) *Request {
	r.req.TimeoutMs = wit.Some(ms)
	return r
}

// Send sends the request once. Any HTTP status is a response; see
// [Response.ErrorForStatus].
func (r *Request) Send() (*Response, error) {
	if r.err != nil {
		return nil, r.err
	}
	res := host.Fetch(r.req)
	if res.IsErr() {
		return nil, ao.FromVariant(res.Err())
	}
	ok := res.Ok()
	return &Response{Status: ok.Status, Headers: ok.Headers, Body: ok.Body}, nil
}

// Response is a response from the host.
type Response struct {
	Status  uint16
	Headers []wit.Tuple2[string, string]
	Body    []byte
}

// Header is the first header with this name (case-insensitive), or "".
func (r *Response) Header(name string) (string, bool) {
	for _, h := range r.Headers {
		if strings.EqualFold(h.F0, name) {
			return h.F1, true
		}
	}
	return "", false
}

// Text is the body as a string.
func (r *Response) Text() string { return string(r.Body) }

// JSON decodes the body into v.
func (r *Response) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return ao.ErrOther(fmt.Sprintf("response is not the JSON expected: %v", err))
	}
	return nil
}

// RetryAfterMs is `Retry-After` in milliseconds (delta-seconds form).
func (r *Response) RetryAfterMs() ao.Option[uint32] {
	v, ok := r.Header("retry-after")
	if !ok {
		return ao.None[uint32]()
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return ao.None[uint32]()
	}
	return ao.Some(uint32(math.Max(0, math.Min(secs*1000, math.MaxUint32))))
}

// ErrorForStatus maps an error status to its variant, as every ao SDK does:
// 401 → auth, 403 → auth or rate-limited, 404/410 → not-found,
// 429 → rate-limited, 5xx → transient, other 4xx → invalid-input.
func (r *Response) ErrorForStatus() (*Response, error) {
	s := r.Status
	if s < 400 {
		return r, nil
	}
	detail := r.Text()
	if len(detail) > 300 {
		detail = detail[:300]
	}
	message := fmt.Sprintf("HTTP %d: %s", s, detail)
	_, retryAfter := r.Header("retry-after")
	remaining, _ := r.Header("x-ratelimit-remaining")
	switch {
	case s == 429 || (s == 403 && (retryAfter || remaining == "0")):
		return nil, ao.ErrRateLimited(r.RetryAfterMs(), message)
	case s == 401 || s == 403:
		return nil, ao.ErrAuth(message)
	case s == 404 || s == 410:
		return nil, ao.ErrNotFound(message)
	case s >= 500:
		return nil, ao.ErrTransient(message)
	default:
		return nil, ao.ErrInvalidInput(message)
	}
}
