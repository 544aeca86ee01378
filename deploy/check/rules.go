package main

import (
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// rules are the security and health settings every dcsbot manifest must
// have, beyond being well-formed.
func rules(obj Object) []error {
	var problems []string
	switch v := obj.Value.(type) {
	case *appsv1.Deployment:
		problems = deploymentRules(v)
	case *corev1.ServiceAccount:
		if !isFalse(v.AutomountServiceAccountToken) {
			problems = append(problems, "automountServiceAccountToken must be false: the bot calls no Kubernetes API")
		}
	}
	var errs []error
	for _, p := range problems {
		errs = append(errs, fmt.Errorf("%s: %s", obj, p))
	}
	return errs
}

func deploymentRules(d *appsv1.Deployment) []string {
	var problems []string
	pod := d.Spec.Template.Spec
	if !isFalse(pod.AutomountServiceAccountToken) {
		problems = append(problems, "spec.template.spec.automountServiceAccountToken must be false")
	}
	if d.Spec.Selector == nil || len(d.Spec.Selector.MatchLabels) == 0 {
		problems = append(problems, "spec.selector.matchLabels is empty")
	} else {
		for k, v := range d.Spec.Selector.MatchLabels {
			if d.Spec.Template.Labels[k] != v {
				problems = append(problems, fmt.Sprintf("spec.selector.matchLabels %s=%s is not a label of the pod template", k, v))
			}
		}
	}
	if len(pod.Containers) == 0 {
		problems = append(problems, "spec.template.spec.containers is empty")
	}
	for i, c := range pod.Containers {
		at := fmt.Sprintf("spec.template.spec.containers[%d] (%s)", i, c.Name)
		for _, p := range containerRules(pod.SecurityContext, c) {
			problems = append(problems, at+": "+p)
		}
		for _, p := range probeRules(c) {
			problems = append(problems, at+": "+p)
		}
	}
	for i, c := range pod.InitContainers {
		at := fmt.Sprintf("spec.template.spec.initContainers[%d] (%s)", i, c.Name)
		for _, p := range containerRules(pod.SecurityContext, c) {
			problems = append(problems, at+": "+p)
		}
	}
	return problems
}

// containerRules: non-root by a numeric user the kubelet can verify, a
// read-only root filesystem, no privilege escalation, no capabilities.
func containerRules(pod *corev1.PodSecurityContext, c corev1.Container) []string {
	var problems []string
	sc := c.SecurityContext
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	nonRoot, user := sc.RunAsNonRoot, sc.RunAsUser
	if pod != nil {
		if nonRoot == nil {
			nonRoot = pod.RunAsNonRoot
		}
		if user == nil {
			user = pod.RunAsUser
		}
	}
	if nonRoot == nil || !*nonRoot {
		problems = append(problems, "runAsNonRoot must be true (container or pod securityContext)")
	}
	switch {
	case user == nil:
		problems = append(problems, "runAsUser must be set to a numeric non-root user (the kubelet cannot verify a named image user)")
	case *user == 0:
		problems = append(problems, "runAsUser is 0 (root)")
	}
	if !isTrue(sc.ReadOnlyRootFilesystem) {
		problems = append(problems, "securityContext.readOnlyRootFilesystem must be true")
	}
	if !isFalse(sc.AllowPrivilegeEscalation) {
		problems = append(problems, "securityContext.allowPrivilegeEscalation must be false")
	}
	if isTrue(sc.Privileged) {
		problems = append(problems, "securityContext.privileged must not be true")
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		problems = append(problems, "securityContext.capabilities.drop must hold ALL")
	} else if len(sc.Capabilities.Add) > 0 {
		problems = append(problems, fmt.Sprintf("securityContext.capabilities.add must be empty, got %v", sc.Capabilities.Add))
	}
	return problems
}

func probeRules(c corev1.Container) []string {
	var problems []string
	for name, p := range map[string]*corev1.Probe{
		"livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe, "startupProbe": c.StartupProbe,
	} {
		if p == nil {
			problems = append(problems, name+" is missing")
		}
	}
	slices.Sort(problems)
	return problems
}

func isTrue(b *bool) bool  { return b != nil && *b }
func isFalse(b *bool) bool { return b != nil && !*b }
