/**
 * Instruction quality after the founding guide: a good instruction states (1) the task, (2) the
 * constraints on its input and (3) the format of the output ("用Python实现快速排序" / "输入为整数列表,
 * 输出为升序列表" / "使用递归实现,注释每行代码"). Each element found adds one point; the reasons say which
 * were found and which are missing, in English, for the quality report.
 */
export interface QualityScore {
  /** 0 to 3: how many of task, input constraints and output format the instruction states. */
  readonly score: number;
  readonly reasons: readonly string[];
}

export const MAX_QUALITY_SCORE = 3;

const TASK_VERB =
  /\b(write|explain|summari[sz]e|translate|classify|list|describe|implement|create|generate|compare|analy[sz]e|answer|extract|convert|calculate|compute|find|identify|rewrite|give|provide|design|draft|evaluate|sort|solve|suggest|recommend|determine|outline|define|tell|name|rank|correct|fix|predict|estimate|plan|propose)\b|^(what|why|how|who|when|where|which|is|are|can|does|do|should)\b|[?？]|(请|用|将|把|写|解释|翻译|总结|概括|列出|描述|实现|生成|比较|分析|回答|提取|转换|计算|找出|识别|改写|给出|提供|设计|评估|判断|推荐|说明|如何|怎么|什么|为什么|哪)/i;

const INPUT_CONSTRAINT =
  /\b(given|input|the following|below|provided|from the|based on|using the|of type|list of|array of|between|within|at most|at least|no more than|only|must|assume|assuming|where)\b|(输入|给定|以下|下面|如下|根据|基于|假设|已知|范围|不超过|至少|至多|必须|仅|只)/i;

const OUTPUT_FORMAT =
  /\b(json|yaml|csv|table|markdown|bullet|bullets|list|numbered|one sentence|one word|sentences?|words|paragraphs?|format|formatted|return|output|respond with|reply with|answer with|in english|in chinese|concise(ly)?|brief(ly)?|step[- ]by[- ]step|comments?|code block|three|two|five|\d+)\b|(格式|输出|返回|列表|表格|一句话|简洁|简要|分点|步骤|注释|中文|英文|字以内|个字|三个|两个|\d+)/i;

export function scoreInstruction(instruction: string, hasSeparateInput = false): QualityScore {
  const text = instruction.trim();
  const reasons: string[] = [];
  let score = 0;
  if (text.length >= 8 && TASK_VERB.test(text)) {
    score++;
    reasons.push('states the task');
  } else {
    reasons.push(
      text.length < 8 ? 'task unclear: instruction too short' : 'task unclear: no task verb or question',
    );
  }
  if (hasSeparateInput || INPUT_CONSTRAINT.test(text)) {
    score++;
    reasons.push('states input constraints');
  } else {
    reasons.push('no input constraints');
  }
  if (OUTPUT_FORMAT.test(text)) {
    score++;
    reasons.push('states the output format');
  } else {
    reasons.push('no output format');
  }
  return { score, reasons };
}
