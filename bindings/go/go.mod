module kctx.dev/kctx

go 1.19
