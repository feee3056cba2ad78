module github.com/ao-dev/ao/sdk/go

go 1.25
