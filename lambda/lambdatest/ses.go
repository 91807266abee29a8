package lambdatest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// SES is a fake Amazon SES API v2 endpoint for SendEmail (REST-JSON, POST
// /v2/email/outbound-emails: https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html),
// for the real aws-sdk-go-v2 sesv2 client pointed at URL (AWS_ENDPOINT_URL_SESV2). It records
// every request body and refuses the recipients given to Reject as SES does.
type SES struct {
	URL string

	mu       sync.Mutex
	sent     []SESRequest
	rejected map[string]string // recipient -> SES's message
	// rate, when above 0, is the most sends SES accepts in any second, as SES enforces an
	// account's maximum send rate; accepted are the times of the sends it took, throttled how
	// many it refused for the rate.
	rate      int
	accepted  []time.Time
	throttled int
}

// SESRequest is a SendEmail request body as SES receives it.
type SESRequest struct {
	FromEmailAddress            string
	FromEmailAddressIdentityArn string `json:",omitempty"`
	ConfigurationSetName        string `json:",omitempty"`
	Destination                 struct{ ToAddresses []string }
	Content                     struct {
		Simple struct {
			Subject struct{ Data, Charset string }
			Body    struct {
				Text struct{ Data, Charset string }
				HTML struct{ Data, Charset string } `json:"Html"`
			}
		}
	}
}

// NewSES starts a fake SES v2 endpoint, stopped when the test ends.
func NewSES(t testing.TB) *SES {
	f := &SES{rejected: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Reject makes SES refuse mail to the recipient with MessageRejected and the message.
func (f *SES) Reject(recipient, message string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejected[recipient] = message
}

// LimitRate makes SES refuse a send when it took perSecond sends in the second before it, with
// the throttling error an account over its maximum send rate gets
// (https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas-errors.html).
func (f *SES) LimitRate(perSecond int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rate = perSecond
}

// Throttled returns how many sends SES refused for its rate.
func (f *SES) Throttled() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.throttled
}

// Sent returns the requests SES accepted, in order.
func (f *SES) Sent() []SESRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]SESRequest(nil), f.sent...)
}

func (f *SES) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/v2/email/outbound-emails" {
		writeSESError(w, http.StatusNotFound, "NotFoundException", "fake SES answers SendEmail only, not "+req.Method+" "+req.URL.Path)
		return
	}
	body, err := io.ReadAll(req.Body)
	var in SESRequest
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	if err != nil || in.FromEmailAddress == "" || len(in.Destination.ToAddresses) == 0 {
		writeSESError(w, http.StatusBadRequest, "BadRequestException", "malformed SendEmail request")
		return
	}
	f.mu.Lock()
	if now := time.Now(); f.rate > 0 {
		recent := 0
		for _, at := range f.accepted {
			if at.After(now.Add(-time.Second)) {
				recent++
			}
		}
		if recent >= f.rate {
			f.throttled++
			f.mu.Unlock()
			writeSESError(w, http.StatusTooManyRequests, "TooManyRequestsException", "Maximum sending rate exceeded.")
			return
		}
		f.accepted = append(f.accepted, now)
	}
	msg, rejected := f.rejected[in.Destination.ToAddresses[0]]
	if !rejected {
		f.sent = append(f.sent, in)
	}
	n := len(f.sent)
	f.mu.Unlock()
	if rejected {
		writeSESError(w, http.StatusBadRequest, "MessageRejected", msg)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"MessageId": "fake-" + string(rune('a'+n%26))})
}

// writeSESError answers as SES's REST-JSON protocol does: the code in X-Amzn-ErrorType.
func writeSESError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": message})
}
