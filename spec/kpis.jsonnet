// The default spec as Jsonnet: spec/kpis.yaml, parsed, so both always describe the same model.
//   perfcycle validate --spec spec/kpis.jsonnet
// Jsonnet is for deriving variants. A staging bundle with a tighter CPU threshold, say:
//   local spec = import 'kpis.jsonnet';
//   spec + { bundle+: { name: 'staging' },
//            kpis: [if k.id == 'cpu_utilization' then k + { target: '< 70' } else k for k in spec.kpis] }
// (Jsonnet writes object fields sorted, so generated files may list domains in another order.)
std.parseYaml(importstr 'kpis.yaml')
