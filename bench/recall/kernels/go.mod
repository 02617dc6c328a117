module gohazard.dev/recall/kernels

go 1.22
