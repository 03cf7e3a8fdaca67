package db

import (
	"time"
)

// render writes the notification's title and body, in Chinese, from its kind and subject.
// The text names the subject by its title and times only: never a person's phone, address
// or name, so it is as safe on a volunteer's phone or in a text message as on the screen
// of the person it is about. A secret vote's reminder says only that the recipient has not
// voted yet, which vote_participation records for everyone.
func (n *Notification) render() {
	wish := "您的心愿"
	if n.OnBehalf {
		wish = "您代办的心愿"
	}
	w := "“" + deref(n.WishTitle) + "”"
	switch n.Kind {
	case NotifyWishPublished:
		n.Title, n.Body = "心愿已发布", wish+w+"已通过审核并发布，志愿者可以认领了。"
	case NotifyWishRejected:
		n.Title, n.Body = "心愿未通过审核", wish+w+"未通过审核。原因："+deref(n.WishReason)
	case NotifyWishClaimed:
		n.Title, n.Body = "心愿已被认领", wish+w+"已被志愿者认领，志愿者会与您联系。"
	case NotifyWishReleased:
		n.Title, n.Body = "心愿已重新发布", wish+w+"的认领人放弃了认领或没有在期限内完成，心愿已重新发布，等待其他志愿者认领。"
	case NotifyWishFulfilled:
		n.Title, n.Body = "请确认心愿完成情况", "志愿者已报告完成"+wish+w+"，请确认并评价。"
	case NotifyWishConfirmed:
		n.Title, n.Body = "心愿已确认完成", "您认领的心愿"+w+"已确认完成，服务时长和积分已记入您的服务记录。"
	case NotifyWishDisputed:
		n.Title, n.Body = "心愿完成情况有异议", "受益人对您认领的心愿"+w+"的完成情况提出了异议，请与社区联系。"
	case NotifyClaimDueSoon:
		n.Title, n.Body = "认领即将到期", "您认领的心愿"+w+"需在"+when(n.ClaimDueAt)+"前完成，逾期未完成会被系统收回。"
	case NotifyClaimLapsed:
		n.Title, n.Body = "认领已超时收回", "您认领的心愿"+w+"没有在期限内完成，已被系统收回并重新发布。"
	case NotifyVoteOpened:
		n.Title, n.Body = "表决开始了", "表决“"+deref(n.VoteTitle)+"”已开始，"+when(n.VoteClosesAt)+"截止，请及时投票。"
	case NotifyVoteClosing:
		n.Title, n.Body = "表决即将截止，您还没有投票", "表决“"+deref(n.VoteTitle)+"”将于"+when(n.VoteClosesAt)+
			"截止，参与人数还没有达到规定的比例，您还没有投票。"
	case NotifyMeetingTomorrow:
		where := "网上议事厅"
		if n.MeetingLocation != nil {
			where = *n.MeetingLocation
		}
		n.Title, n.Body = "会议提醒", "会议“"+deref(n.MeetingTitle)+"”将于"+when(n.MeetingStartsAt)+"在"+where+"召开，请准时参加。"
	case NotifyMeetingOpened:
		n.Title, n.Body = "会议已开始", "会议“"+deref(n.MeetingTitle)+"”已开始，请签到参加。"
	case NotifyResolutionPublished:
		n.Title, n.Body = "决议公示", "决议“"+deref(n.ResolutionTitle)+"”正在公示，公示期至"+when(n.NoticeEndsAt)+"，如有异议可在公示期内提出。"
	case NotifyObjectionClosing:
		n.Title, n.Body = "公示期即将结束", "决议“"+deref(n.ResolutionTitle)+"”的公示期将于"+when(n.NoticeEndsAt)+"结束，如有异议请在此之前提出。"
	case NotifyTaskAssigned:
		n.Title, n.Body = "新的实施任务", "您被指派负责任务“"+deref(n.TaskTitle)+"”，完成期限"+when(n.TaskDueAt)+"。"
	case NotifyTaskConcernRaised:
		n.Title, n.Body = "任务收到监督意见", "监委会对您负责的任务“"+deref(n.TaskTitle)+"”提出了关注意见，请及时答复。"
	case NotifyVisitOverdue:
		n.Title, n.Body = visitOverdueText(n.VisitDueOn)
	case NotifyReportSubmitted:
		n.Title, n.Body = "新的事件上报", "您负责的网格有一条新的事件上报，请在时限内受理。"
	case NotifyReportEscalated:
		n.Title, n.Body = "网格提交了一条事件上报", "网格处理不了一条事件上报，已提交社区，请办结或吹哨给职能部门。"
	case NotifyReportWhistled:
		n.Title, n.Body = "街乡吹哨，请报到", "社区把一条事件上报吹哨给了您的部门，请报到并在期限内办结。"
	case NotifyReportResolved:
		n.Title, n.Body = "您的上报已办结，请评价", "您上报的事件已办结，请查看办理结果并评价。"
	}
}

// when is a time as people read it here: China time, month, day and minute.
func when(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(china).Format("1月2日15:04")
}
