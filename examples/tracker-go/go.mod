module example.com/tracker-go

go 1.25

require github.com/ao-dev/ao/sdk/go v0.0.0

// The SDK lives in ao's repository (sdk/go); the Go module proxy does not have it.
replace github.com/ao-dev/ao/sdk/go => ../../sdk/go
