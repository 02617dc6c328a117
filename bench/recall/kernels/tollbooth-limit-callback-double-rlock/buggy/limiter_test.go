package limiter

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// A limit callback that reads the limiter's settings, while another goroutine
// changes them, must not deadlock.
func TestCallbackReadsSettingsWhileTheyChange(t *testing.T) {
	lmt := New(1)
	lmt.SetOnLimitReached(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Rate-Limit-Limit", strconv.FormatFloat(lmt.GetMax(), 'f', 2, 64))
		http.Error(w, lmt.GetMessage(), http.StatusTooManyRequests)
	})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < 200000; i++ {
			lmt.ExecOnLimitReached(httptest.NewRecorder(), req)
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 200000; i++ {
			lmt.SetMessage("slow down")
		}
	}()
	wg.Wait()
}
