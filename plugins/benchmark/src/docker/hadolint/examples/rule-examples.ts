/** Dockerfiles a rule reports (`catches`) and does not report (`passes`). */
export interface RuleExamples {
  catches: string[];
  passes: string[];
}
