// `pnpm demo` will run the whole flow on the local sandbox (issue [5/7]). Until then it says so, and what to run.
console.log(`ecr-scan-reporter demo: not built yet.

The end-to-end demo on the local sandbox (schedule -> scan -> report to SNS, Slack, GitHub and e-mail
receivers, written to demo-output/) lands with the CLI and sandbox work. Today you can:
  pnpm test        run every check, including the built Lambda bundles against the sandbox's ECR and SQS
  pnpm build       rebuild terraform/dist/ from the handlers`);
