output "alb_dns_name" {
  value = aws_lb.this.dns_name
}

output "alb_arn_suffix" {
  value = aws_lb.this.arn_suffix
}

output "bff_target_group_arn_suffix" {
  value = aws_lb_target_group.bff.arn_suffix
}

output "cluster_name" {
  value = aws_ecs_cluster.this.name
}

output "service_names" {
  value = {
    core = aws_ecs_service.core.name
    bff  = aws_ecs_service.bff.name
  }
}
